# Sourced by the peers unpacked from Debian packages (prometheus.sh, nginx.sh): fetches pinned
# .debs with `apt-get download` into the cache's apt/ dir (no system install, no service; root
# only to refresh apt's lists when they lack the pin) and unpacks them with `dpkg-deb -x` into
# one directory per version, marked complete only once its binary answers. The caller sets
# PEER (message prefix), VERSION (the Debian version), PACKAGES (names), BIN_PATH (relative to
# the unpacked tree), OVERRIDE (the env variable naming a prebuilt binary) and defines
# `binary_ok <bin>`, then calls `deb_peer_main "$@"`.
#
# Exit codes: 0 ready (the last line of stdout is the binary's path); 3 cannot be installed here
# (no apt-get/dpkg-deb, the pin not in apt's lists, the download failed): one line says why and
# the tests skip; 1 anything else.

CACHE_ROOT="${PLATFORM_CONSTRUCTS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/platform-constructs}"

log() { echo "$PEER: $*" >&2; }
die() {
  echo "$PEER: error: $*" >&2
  exit 1
}
cannot() {
  echo "$PEER: cannot install: $*" >&2
  exit 3
}

deb_peer_main() {
  local force=0
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --force) force=1 ;;
      -h | --help)
        awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
        exit 0
        ;;
      *) die "unknown argument '$1' (try --help)" ;;
    esac
    shift
  done

  # A binary given from outside: used as it is.
  if [[ -n "${!OVERRIDE:-}" ]]; then
    local given="${!OVERRIDE}"
    [[ -x "$given" ]] || die "$OVERRIDE=$given is not an executable file"
    binary_ok "$given" || die "$OVERRIDE=$given does not run, or is not the expected version"
    log "using $given"
    echo "$given"
    exit 0
  fi

  local dir="$CACHE_ROOT/$PEER-$VERSION" apt_dir="$CACHE_ROOT/apt"
  local bin="$dir/$BIN_PATH"
  mkdir -p "$CACHE_ROOT"
  exec 9>"$CACHE_ROOT/$PEER.lock"
  flock 9

  local t0=$SECONDS
  if [[ $force -eq 0 && -f "$dir/.complete" && "$(cat "$dir/.complete")" == "$VERSION" && -x "$bin" ]] && binary_ok "$bin"; then
    log "ready (cached): $PEER, Debian package $VERSION"
    echo "$bin"
    exit 0
  fi
  command -v dpkg-deb >/dev/null || cannot "dpkg-deb is not on PATH (not a Debian system?); set $OVERRIDE to a binary"

  local arch pkg deb debs=()
  arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
  for pkg in "${PACKAGES[@]}"; do
    # apt-get download names the file <name>_<version with ':' as %3a>_<arch or all>.deb.
    deb="$(ls "$apt_dir/${pkg}_${VERSION//:/%3a}_"{"$arch",all}.deb 2>/dev/null | head -n 1 || true)"
    if [[ -z "$deb" || "$(dpkg-deb --field "$deb" Version 2>/dev/null)" != "$VERSION" ]]; then
      deb_download "$pkg" "$apt_dir"
      deb="$(ls "$apt_dir/${pkg}_${VERSION//:/%3a}_"{"$arch",all}.deb 2>/dev/null | head -n 1 || true)"
      [[ -n "$deb" ]] || die "apt-get download did not leave ${pkg}_${VERSION}_*.deb in $apt_dir"
    fi
    debs+=("$deb")
  done

  rm -rf "$dir" "$dir.partial"
  for deb in "${debs[@]}"; do
    dpkg-deb -x "$deb" "$dir.partial" || { rm -rf "$dir.partial"; die "dpkg-deb -x $deb failed"; }
  done
  binary_ok "$dir.partial/$BIN_PATH" || {
    rm -rf "$dir.partial"
    die "the unpacked binary does not run or is not the expected version ($(ldd "$dir.partial/$BIN_PATH" 2>&1 | grep -c 'not found') libraries not found)"
  }
  echo "$VERSION" >"$dir.partial/.complete"
  mv "$dir.partial" "$dir"
  log "$PEER ready in $((SECONDS - t0)) s, $(du -sm "$dir" | cut -f1) MB"
  echo "$bin"
  exit 0
}

deb_download() {
  local pkg="$1" apt_dir="$2"
  command -v apt-get >/dev/null || cannot "apt-get is not on PATH and $pkg=$VERSION is not cached; set $OVERRIDE to a binary"
  # (apt-cache show exits 0 for a version it does not know; madison lists the versions it does.)
  has_pin() { apt-cache madison "$pkg" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | grep -qxF "$VERSION"; }
  if ! has_pin; then
    if [[ $(id -u) -eq 0 ]]; then
      log "apt's lists lack $pkg=$VERSION: apt-get update"
      apt-get update -qq >&2 || true
    fi
    if ! has_pin; then
      local candidate
      candidate="$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: *//p')"
      cannot "apt has no $pkg=$VERSION (candidate: ${candidate:-none}); run apt-get update, or bump the pin in $0, or set $OVERRIDE"
    fi
  fi
  mkdir -p "$apt_dir"
  # As root, apt downloads as the _apt user, who cannot write to a home dir: stay root (as .ci/run).
  local apt_opts=()
  [[ $(id -u) -eq 0 ]] && apt_opts=(-o APT::Sandbox::User=root)
  local t1=$SECONDS
  (cd "$apt_dir" && apt-get download -qq "${apt_opts[@]}" "$pkg=$VERSION" >&2) || cannot "apt-get download $pkg=$VERSION failed (is the Debian mirror reachable?)"
  log "downloaded $pkg=$VERSION in $((SECONDS - t1)) s"
}
