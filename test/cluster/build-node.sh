#!/usr/bin/env bash
# Builds the container runtime of the test node (startCluster({ node: true })) from pinned
# sources: containerd 2.x (containerd, containerd-shim-runc-v2, ctr), runc with libseccomp
# (so that seccomp RuntimeDefault is enforced), the CNI plugins bridge, host-local, loopback
# and portmap, all from Go modules; and the sandbox ("pause") image, a static C program built
# with the machine's gcc. Versions: versions.json. kubelet, kube-proxy and kube-scheduler come
# from build-binaries.sh (one Kubernetes build).
#
# Needs: Go, gcc, and the headers of libseccomp (Debian: libseccomp-dev; installed by .ci/run).
#
# Result: ~/.cache/platform-constructs/node-<containerd>-<runc>-<cni>/bin/*
# (PLATFORM_CONSTRUCTS_CACHE_DIR overrides the root). Idempotent: a complete directory is kept.
#
# Usage: test/cluster/build-node.sh [--print-dir] [--force]
set -euo pipefail
{

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version_of() { sed -n "s/.*\"$1\": *\"\\([^\"]*\\)\".*/\\1/p" "$SCRIPT_DIR/versions.json"; }
CONTAINERD_VERSION="$(version_of containerd)"
RUNC_VERSION="$(version_of runc)"
CNI_VERSION="$(version_of cni-plugins)"
CACHE_ROOT="${PLATFORM_CONSTRUCTS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/platform-constructs}"
OUT="$CACHE_ROOT/node-containerd-$CONTAINERD_VERSION-runc-$RUNC_VERSION-cni-$CNI_VERSION"
BIN="$OUT/bin"
FORCE=0

die() {
  echo "build-node: error: $*" >&2
  exit 1
}
log() { echo "build-node: $*" >&2; }

EXPECTED=(containerd containerd-shim-runc-v2 ctr runc bridge host-local loopback portmap pause)

while [[ $# -gt 0 ]]; do
  case "$1" in
    --force) FORCE=1 ;;
    --print-dir) echo "$BIN"; exit 0 ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
      exit 0
      ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done
[[ -n "$CONTAINERD_VERSION" && -n "$RUNC_VERSION" && -n "$CNI_VERSION" ]] || die "could not read pinned versions from $SCRIPT_DIR/versions.json"

complete() {
  local b
  for b in "${EXPECTED[@]}"; do [[ -x "$BIN/$b" ]] || return 1; done
  "$BIN/containerd" --version 2>/dev/null | grep -q "${CONTAINERD_VERSION}" || return 1
  "$BIN/runc" --version 2>/dev/null | grep -q "${RUNC_VERSION#v}" || return 1
  "$BIN/runc" --version 2>/dev/null | grep -q "libseccomp" || return 1
}
if [[ $FORCE == 0 ]] && complete; then
  log "cached: $BIN"
  exit 0
fi

source "$SCRIPT_DIR/go-toolchain.sh"
use_go 24 "containerd $CONTAINERD_VERSION needs" "build the node binaries on a machine with Go"
build_lock .build-node.lock
command -v gcc >/dev/null || die "gcc is needed for runc (cgo, libseccomp) and the pause program; install gcc"
mkdir -p "$BIN"

# wrapper <name> <module@version>: a throw-away module that requires one module, to build its commands.
wrapper() {
  local wd="$BUILD_ROOT/$1"
  rm -rf "$wd" && mkdir -p "$wd"
  printf 'module platform-constructs.local/build-%s\n\ngo 1.24.0\n\nrequire %s %s\n' "$1" "${2%@*}" "${2#*@}" >"$wd/go.mod"
  echo "$wd"
}

build_containerd() {
  local start=$SECONDS wd mod="github.com/containerd/containerd/v2"
  log "building containerd $CONTAINERD_VERSION (go $go_version) ..."
  wd="$(wrapper containerd "$mod@$CONTAINERD_VERSION")"
  local vflags="-X $mod/version.Version=$CONTAINERD_VERSION -X $mod/version.Revision=pinned -X $mod/version.Package=github.com/containerd/containerd/v2"
  # No btrfs, devmapper or zfs snapshotters (cgo, and unused: overlayfs is the snapshotter).
  (cd "$wd" && go build -trimpath -tags 'no_btrfs no_devmapper no_zfs' -ldflags="-s -w $vflags" -o "$BIN/" \
    "$mod/cmd/containerd" "$mod/cmd/containerd-shim-runc-v2" "$mod/cmd/ctr") ||
    die "building containerd $CONTAINERD_VERSION failed (see the Go output above)"
  log "containerd built in $((SECONDS - start)) s"
}

build_runc() {
  local start=$SECONDS wd
  log "building runc $RUNC_VERSION with libseccomp ..."
  [[ -f /usr/include/seccomp.h ]] || die "libseccomp headers are missing (Debian: apt-get install libseccomp-dev); runc needs them to enforce seccomp profiles"
  wd="$(wrapper runc "github.com/opencontainers/runc@$RUNC_VERSION")"
  (cd "$wd" && CGO_ENABLED=1 go build -trimpath -tags seccomp \
    -ldflags="-s -w -X main.version=${RUNC_VERSION#v} -X main.gitCommit=pinned" -o "$BIN/runc" github.com/opencontainers/runc) ||
    die "building runc $RUNC_VERSION failed (see the Go output above)"
  log "runc built in $((SECONDS - start)) s"
}

build_cni() {
  local start=$SECONDS wd mod="github.com/containernetworking/plugins"
  log "building the CNI plugins $CNI_VERSION ..."
  wd="$(wrapper cni "$mod@$CNI_VERSION")"
  (cd "$wd" && go build -trimpath -ldflags="-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$CNI_VERSION" -o "$BIN/" \
    "$mod/plugins/main/bridge" "$mod/plugins/ipam/host-local" "$mod/plugins/main/loopback" "$mod/plugins/meta/portmap") ||
    die "building the CNI plugins $CNI_VERSION failed (see the Go output above)"
  log "CNI plugins built in $((SECONDS - start)) s"
}

build_pause() {
  log "building the pause program (static) ..."
  gcc -static -Os -s -o "$BIN/pause" "$SCRIPT_DIR/node/pause.c" || die "building pause failed (static glibc: libc6-dev)"
}

build_containerd
build_runc
build_cni
build_pause
complete || die "the freshly built $BIN is incomplete or answers the wrong versions"
log "ok: $BIN"
exit 0
}
