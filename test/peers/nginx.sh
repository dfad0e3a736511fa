#!/usr/bin/env bash
# Installs the real nginx the ingress tests run: Debian's `nginx` and `nginx-common` packages at
# the version pinned below, their .debs fetched with `apt-get download` into the cache's apt/ dir
# and unpacked with `dpkg-deb -x`. Nothing is installed into the system, no service is started,
# no root is needed (only to refresh apt's package lists when they lack the pin). The binary
# links libc, libcrypt, libpcre2, libssl3 and zlib, which a Debian 12 base system has.
#
# Result: ~/.cache/platform-constructs/nginx-<debian version>/usr/sbin/nginx (and etc/nginx/mime.types).
# (XDG_CACHE_HOME is honoured; PLATFORM_CONSTRUCTS_CACHE_DIR overrides the root.)
# PLATFORM_CONSTRUCTS_NGINX=<path of an nginx binary> uses that binary instead (checked with -v).
#
# Idempotent: an unpacked tree whose marker names the version and whose binary answers -v is
# kept; a partial one is removed and unpacked again; cached .debs are reused. Concurrent calls
# wait on a lock. The last line of stdout is the binary's path; progress goes to stderr.
#
# Exit codes: 0 ready; 3 nginx cannot be installed here (no apt-get/dpkg-deb, the pinned version
# is not in apt's lists, the download failed), one line says why: the tests skip on this one;
# 1 anything else.
#
# Usage: test/peers/nginx.sh [--force]
set -euo pipefail
{

# Debian 12 (bookworm): nginx 1.22.1. A new point release fails here with exit 3 naming apt's candidate: bump the pin.
NGINX_DEB_VERSION="1.22.1-9+deb12u11"
NGINX_VERSION="${NGINX_DEB_VERSION%%-*}"

CACHE_ROOT="${PLATFORM_CONSTRUCTS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/platform-constructs}"
FORCE=0

log() { echo "nginx: $*" >&2; }
die() {
  echo "nginx: error: $*" >&2
  exit 1
}
cannot() {
  echo "nginx: cannot install: $*" >&2
  exit 3
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --force) FORCE=1 ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
      exit 0
      ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done

if [[ -n "${PLATFORM_CONSTRUCTS_NGINX:-}" ]]; then
  BIN="$PLATFORM_CONSTRUCTS_NGINX"
  [[ -x "$BIN" ]] || die "PLATFORM_CONSTRUCTS_NGINX=$BIN is not an executable file"
  "$BIN" -v >/dev/null 2>&1 || die "PLATFORM_CONSTRUCTS_NGINX=$BIN does not run ('$BIN -v' fails)"
  log "using $BIN ($("$BIN" -v 2>&1 | head -n 1))"
  echo "$BIN"
  exit 0
fi

DIR="$CACHE_ROOT/nginx-$NGINX_DEB_VERSION"
BIN="$DIR/usr/sbin/nginx"
APT_DIR="$CACHE_ROOT/apt"

ready() {
  [[ -f "$DIR/.complete" && "$(cat "$DIR/.complete")" == "$NGINX_DEB_VERSION" && -x "$BIN" ]] &&
    "$BIN" -v 2>&1 | grep -q "nginx/$NGINX_VERSION"
}

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/nginx.lock"
flock 9

t0=$SECONDS
if [[ $FORCE -eq 0 ]] && ready; then
  log "ready (cached): nginx $NGINX_VERSION, Debian package $NGINX_DEB_VERSION"
  echo "$BIN"
  exit 0
fi

command -v dpkg-deb >/dev/null || cannot "dpkg-deb is not on PATH (not a Debian system?); set PLATFORM_CONSTRUCTS_NGINX to an nginx binary"

ARCH="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
deb_of() { if [[ $1 == nginx-common ]]; then echo "$APT_DIR/${1}_${NGINX_DEB_VERSION//:/%3a}_all.deb"; else echo "$APT_DIR/${1}_${NGINX_DEB_VERSION//:/%3a}_${ARCH}.deb"; fi; }
deb_ok() { [[ -f "$(deb_of "$1")" ]] && [[ "$(dpkg-deb --field "$(deb_of "$1")" Version 2>/dev/null)" == "$NGINX_DEB_VERSION" ]]; }
apt_has_pin() { apt-cache madison nginx 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | grep -qxF "$NGINX_DEB_VERSION"; }

t_dl=0
for pkg in nginx nginx-common; do
  deb_ok "$pkg" && continue
  command -v apt-get >/dev/null || cannot "apt-get is not on PATH and $(deb_of "$pkg") is not cached; set PLATFORM_CONSTRUCTS_NGINX to an nginx binary"
  if ! apt_has_pin; then
    if [[ $(id -u) -eq 0 ]]; then
      log "apt's lists lack nginx=$NGINX_DEB_VERSION: apt-get update"
      apt-get update -qq >&2 || true
    fi
    if ! apt_has_pin; then
      candidate="$(apt-cache policy nginx 2>/dev/null | sed -n 's/^ *Candidate: *//p')"
      cannot "apt has no nginx=$NGINX_DEB_VERSION (candidate: ${candidate:-none}); run apt-get update, or bump the pin in $0, or set PLATFORM_CONSTRUCTS_NGINX"
    fi
  fi
  t1=$SECONDS
  mkdir -p "$APT_DIR"
  # As root, apt downloads as the _apt user, who cannot write to a home dir: stay root (as .ci/run).
  apt_opts=()
  [[ $(id -u) -eq 0 ]] && apt_opts=(-o APT::Sandbox::User=root)
  rm -f "$(deb_of "$pkg")"
  (cd "$APT_DIR" && apt-get download -qq "${apt_opts[@]}" "$pkg=$NGINX_DEB_VERSION" >&2) ||
    { rm -f "$(deb_of "$pkg")"; cannot "apt-get download $pkg=$NGINX_DEB_VERSION failed (is the Debian mirror reachable?)"; }
  deb_ok "$pkg" || die "apt-get download did not leave $(deb_of "$pkg")"
  t_dl=$((t_dl + SECONDS - t1))
done

rm -rf "$DIR" "$DIR.partial"
for pkg in nginx nginx-common; do
  dpkg-deb -x "$(deb_of "$pkg")" "$DIR.partial" || { rm -rf "$DIR.partial"; die "dpkg-deb -x $(deb_of "$pkg") failed"; }
done
"$DIR.partial/usr/sbin/nginx" -v 2>&1 | grep -q "nginx/$NGINX_VERSION" || {
  rm -rf "$DIR.partial"
  die "the unpacked binary does not run or is not nginx $NGINX_VERSION ($(ldd "$DIR.partial/usr/sbin/nginx" 2>&1 | grep -c 'not found') libraries not found)"
}
echo "$NGINX_DEB_VERSION" >"$DIR.partial/.complete"
mv "$DIR.partial" "$DIR"
log "nginx $NGINX_VERSION ready in $((SECONDS - t0)) s (download $t_dl s), $(du -sm "$DIR" | cut -f1) MB"
echo "$BIN"
exit 0
}
