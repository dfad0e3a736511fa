#!/usr/bin/env bash
# Installs the real Prometheus the Konsumerator tests query: Debian's `prometheus` package at
# the version pinned below, its .deb fetched with `apt-get download` into the cache's apt/ dir
# and unpacked with `dpkg-deb -x`. Nothing is installed into the system, no service is
# started, no root is needed (only to refresh apt's package lists when they lack the pin).
# The binary links libc only; the package's web UI assets are not needed for the HTTP API.
#
# Result: ~/.cache/platform-constructs/prometheus-<debian version>/usr/bin/prometheus
# (XDG_CACHE_HOME is honoured; PLATFORM_CONSTRUCTS_CACHE_DIR overrides the root).
# PLATFORM_CONSTRUCTS_PROMETHEUS=<path of a prometheus binary> uses that binary instead
# (checked with --version, nothing downloaded).
#
# Idempotent: an unpacked tree whose marker names the version and whose binary answers
# --version is kept; a partial one is removed and unpacked again; a cached .deb is reused.
# Concurrent calls wait on a lock. The last line of stdout is the binary's path; progress
# and timings go to stderr.
#
# Exit codes: 0 ready; 3 Prometheus cannot be installed here (no apt-get/dpkg-deb, the pinned
# version is not in apt's lists, the download failed), one line says why: the tests skip on
# this one; 1 anything else.
#
# Usage: test/peers/prometheus.sh [--force]
set -euo pipefail
{

# Debian 12 (bookworm): prometheus 2.42.0. A new point release of the package fails here with
# exit 3 naming apt's candidate: bump the pin.
PROMETHEUS_DEB_VERSION="2.42.0+ds-5+deb12u1"
PROMETHEUS_VERSION="${PROMETHEUS_DEB_VERSION%%+*}"

CACHE_ROOT="${PLATFORM_CONSTRUCTS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/platform-constructs}"
FORCE=0

log() { echo "prometheus: $*" >&2; }
die() {
  echo "prometheus: error: $*" >&2
  exit 1
}
cannot() {
  echo "prometheus: cannot install: $*" >&2
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

# A binary given from outside: used as it is.
if [[ -n "${PLATFORM_CONSTRUCTS_PROMETHEUS:-}" ]]; then
  BIN="$PLATFORM_CONSTRUCTS_PROMETHEUS"
  [[ -x "$BIN" ]] || die "PLATFORM_CONSTRUCTS_PROMETHEUS=$BIN is not an executable file"
  "$BIN" --version >/dev/null 2>&1 || die "PLATFORM_CONSTRUCTS_PROMETHEUS=$BIN does not run ('$BIN --version' fails)"
  log "using $BIN ($("$BIN" --version 2>&1 | head -n 1))"
  echo "$BIN"
  exit 0
fi

DIR="$CACHE_ROOT/prometheus-$PROMETHEUS_DEB_VERSION"
BIN="$DIR/usr/bin/prometheus"
APT_DIR="$CACHE_ROOT/apt"

ready() {
  [[ -f "$DIR/.complete" && "$(cat "$DIR/.complete")" == "$PROMETHEUS_DEB_VERSION" && -x "$BIN" ]] &&
    "$BIN" --version 2>&1 | head -n 1 | grep -q "version $PROMETHEUS_VERSION"
}

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/prometheus.lock"
flock 9

t0=$SECONDS
if [[ $FORCE -eq 0 ]] && ready; then
  log "ready (cached, checked in $((SECONDS - t0)) s): Prometheus $PROMETHEUS_VERSION, Debian package $PROMETHEUS_DEB_VERSION"
  echo "$BIN"
  exit 0
fi

command -v dpkg-deb >/dev/null || cannot "dpkg-deb is not on PATH (not a Debian system?); set PLATFORM_CONSTRUCTS_PROMETHEUS to a prometheus binary"

# apt-get download names the file <name>_<version with ':' as %3a>_<arch>.deb.
ARCH="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
DEB="$APT_DIR/prometheus_${PROMETHEUS_DEB_VERSION//:/%3a}_${ARCH}.deb"
deb_ok() { [[ -f "$DEB" ]] && [[ "$(dpkg-deb --field "$DEB" Version 2>/dev/null)" == "$PROMETHEUS_DEB_VERSION" ]]; }
# (apt-cache show exits 0 for a version it does not know; madison lists the versions it does.)
apt_has_pin() { apt-cache madison prometheus 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | grep -qxF "$PROMETHEUS_DEB_VERSION"; }

t_dl=0
if ! deb_ok; then
  command -v apt-get >/dev/null || cannot "apt-get is not on PATH and $DEB is not cached; set PLATFORM_CONSTRUCTS_PROMETHEUS to a prometheus binary"
  if ! apt_has_pin; then
    if [[ $(id -u) -eq 0 ]]; then
      log "apt's lists lack prometheus=$PROMETHEUS_DEB_VERSION: apt-get update"
      apt-get update -qq >&2 || true
    fi
    if ! apt_has_pin; then
      candidate="$(apt-cache policy prometheus 2>/dev/null | sed -n 's/^ *Candidate: *//p')"
      cannot "apt has no prometheus=$PROMETHEUS_DEB_VERSION (candidate: ${candidate:-none}); run apt-get update, or bump the pin in $0, or set PLATFORM_CONSTRUCTS_PROMETHEUS"
    fi
  fi
  t1=$SECONDS
  mkdir -p "$APT_DIR"
  # As root, apt downloads as the _apt user, who cannot write to a home dir: stay root (as .ci/run).
  apt_opts=()
  [[ $(id -u) -eq 0 ]] && apt_opts=(-o APT::Sandbox::User=root)
  rm -f "$DEB"
  (cd "$APT_DIR" && apt-get download -qq "${apt_opts[@]}" "prometheus=$PROMETHEUS_DEB_VERSION" >&2) ||
    { rm -f "$DEB"; cannot "apt-get download prometheus=$PROMETHEUS_DEB_VERSION failed (is the Debian mirror reachable?)"; }
  deb_ok || die "apt-get download did not leave $DEB"
  t_dl=$((SECONDS - t1))
  log "downloaded $(basename "$DEB") ($(du -m "$DEB" | cut -f1) MB) in $t_dl s"
fi

t2=$SECONDS
rm -rf "$DIR" "$DIR.partial"
dpkg-deb -x "$DEB" "$DIR.partial" || { rm -rf "$DIR.partial"; die "dpkg-deb -x $DEB failed"; }
# Only the binary is run; the init script, defaults and logrotate entry are not.
"$DIR.partial/usr/bin/prometheus" --version 2>&1 | head -n 1 | grep -q "version $PROMETHEUS_VERSION" || {
  rm -rf "$DIR.partial"
  die "the unpacked binary does not run or is not version $PROMETHEUS_VERSION (needs libc; $(ldd "$DIR.partial/usr/bin/prometheus" 2>&1 | grep -c 'not found') libraries not found)"
}
echo "$PROMETHEUS_DEB_VERSION" >"$DIR.partial/.complete"
mv "$DIR.partial" "$DIR"
log "Prometheus $PROMETHEUS_VERSION ready in $((SECONDS - t0)) s (download $t_dl s, unpack and check $((SECONDS - t2)) s), $(du -sm "$DIR" | cut -f1) MB"
echo "$BIN"
exit 0
}
