#!/usr/bin/env bash
# Builds the pinned Kubernetes binaries the integration tests run against:
# kube-apiserver, kube-controller-manager and etcd (the control plane), kubelet,
# kube-proxy and kube-scheduler (the node of startCluster({ node: true })), from Go modules
# through the Go module proxy, with the machine's Go toolchain. No Docker, no
# downloads other than Go modules.
#
# Result: ~/.cache/platform-constructs/<component>-<version>/<component>
# (XDG_CACHE_HOME is honoured; PLATFORM_CONSTRUCTS_CACHE_DIR overrides the root).
#
# Idempotent: a cached binary that answers `--version` with the pinned version is
# kept. With PLATFORM_CONSTRUCTS_K8S_ASSETS=<dir> nothing is built: the three
# binaries in <dir> are verified instead (like controller-runtime's envtest assets).
#
# Usage: test/cluster/build-binaries.sh [--print-dir <component>] [--force]
set -euo pipefail
# The body is one compound command, so bash parses it whole before running it
# (editing this file during a long build cannot break the running build).
{

# Keep in sync with versions.json (read by the TypeScript harness).
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
K8S_VERSION="$(sed -n 's/.*"kubernetes": *"\([^"]*\)".*/\1/p' "$SCRIPT_DIR/versions.json")"
ETCD_VERSION="$(sed -n 's/.*"etcd": *"\([^"]*\)".*/\1/p' "$SCRIPT_DIR/versions.json")"
CACHE_ROOT="${PLATFORM_CONSTRUCTS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/platform-constructs}"
FORCE=0
# The Kubernetes binaries, all from one k8s.io/kubernetes build.
K8S_COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet)
ALL_COMPONENTS=(etcd "${K8S_COMPONENTS[@]}")

die() {
  echo "build-binaries: error: $*" >&2
  exit 1
}
log() { echo "build-binaries: $*" >&2; }

bin_path() { # <component> -> cached binary path
  local c="$1" v
  case "$c" in
    etcd) v="$ETCD_VERSION" ;;
    *) v="$K8S_VERSION" ;;
  esac
  echo "$CACHE_ROOT/$c-$v/$c"
}

# verify <binary> <component> <expected version>: runs `--version` and checks the output.
verify() {
  local bin="$1" comp="$2" want="$3" out
  [[ -x "$bin" ]] || return 1
  if ! out="$("$bin" --version 2>&1)"; then
    log "$bin --version failed: $out"
    return 1
  fi
  if [[ "$out" != *"${want#v}"* ]]; then
    log "$bin --version printed '$(echo "$out" | head -1)', expected $comp $want"
    return 1
  fi
  return 0
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --force) FORCE=1 ;;
    --print-dir)
      shift
      [[ $# -gt 0 ]] || die "--print-dir needs a component name"
      dirname "$(bin_path "$1")"
      exit 0
      ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
      exit 0
      ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done

[[ -n "$K8S_VERSION" && -n "$ETCD_VERSION" ]] || die "could not read pinned versions from $SCRIPT_DIR/versions.json"

# --- prebuilt assets --------------------------------------------------------
if [[ -n "${PLATFORM_CONSTRUCTS_K8S_ASSETS:-}" ]]; then
  dir="$PLATFORM_CONSTRUCTS_K8S_ASSETS"
  [[ -d "$dir" ]] || die "PLATFORM_CONSTRUCTS_K8S_ASSETS=$dir is not a directory"
  for c in etcd kube-apiserver kube-controller-manager; do
    [[ -x "$dir/$c" ]] || die "PLATFORM_CONSTRUCTS_K8S_ASSETS=$dir has no executable '$c'. Put kube-apiserver, kube-controller-manager and etcd there, or unset the variable to build them from source."
    out="$("$dir/$c" --version 2>&1)" || die "$dir/$c --version failed: $out. Replace the binary or unset PLATFORM_CONSTRUCTS_K8S_ASSETS."
    log "using prebuilt $c: $(echo "$out" | head -1)"
  done
  exit 0
fi

# --- all cached? (then Go is not needed) -------------------------------------
all_cached() {
  verify "$(bin_path etcd)" etcd "$ETCD_VERSION" || return 1
  local c
  for c in "${K8S_COMPONENTS[@]}"; do verify "$(bin_path "$c")" "$c" "$K8S_VERSION" || return 1; done
}
if [[ $FORCE == 0 ]] && all_cached; then
  for c in "${ALL_COMPONENTS[@]}"; do
    log "cached: $(bin_path "$c")"
  done
  exit 0
fi

# --- Go toolchain -------------------------------------------------------------
source "$SCRIPT_DIR/go-toolchain.sh"
use_go 24 "Kubernetes $K8S_VERSION needs" \
  "set PLATFORM_CONSTRUCTS_K8S_ASSETS to a directory holding prebuilt kube-apiserver, kube-controller-manager and etcd"
build_lock .build.lock
LDFLAGS_BASE="-s -w"

# --- etcd ---------------------------------------------------------------------
build_etcd() {
  local out wd
  out="$(bin_path etcd)"
  if [[ $FORCE == 0 ]] && verify "$out" etcd "$ETCD_VERSION"; then
    log "etcd $ETCD_VERSION cached at $out"
    return
  fi
  log "building etcd $ETCD_VERSION (go $go_version) ..."
  local start=$SECONDS
  wd="$BUILD_ROOT/etcd-$ETCD_VERSION"
  rm -rf "$wd" && mkdir -p "$wd"
  # A throw-away module that requires the etcd server module (`go install` of it
  # fails because etcd's own go.mod has relative replace directives); the server's
  # requirements pin its sibling modules (api, client, pkg, raft) to the same release.
  cat >"$wd/go.mod" <<EOF
module platform-constructs.local/build-etcd

go 1.24.0

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
EOF
  mkdir -p "$(dirname "$out")"
  (cd "$wd" && go build -trimpath -ldflags="$LDFLAGS_BASE" -o "$out.tmp" go.etcd.io/etcd/server/v3) ||
    die "building etcd $ETCD_VERSION failed (see the Go output above; is the module proxy $GOPROXY reachable?)"
  mv "$out.tmp" "$out"
  verify "$out" etcd "$ETCD_VERSION" || die "the freshly built $out does not answer --version with $ETCD_VERSION"
  log "etcd built in $((SECONDS - start)) s: $out"
}

# --- Kubernetes ---------------------------------------------------------------
build_kubernetes() {
  local need=() c wd mod staging_ver
  for c in "${K8S_COMPONENTS[@]}"; do
    if [[ $FORCE == 0 ]] && verify "$(bin_path "$c")" "$c" "$K8S_VERSION"; then
      log "$c $K8S_VERSION cached at $(bin_path "$c")"
    else
      need+=("$c")
    fi
  done
  [[ ${#need[@]} -gt 0 ]] || return 0
  log "building ${need[*]} $K8S_VERSION (go $go_version; cold builds take a while on few cores) ..."
  local start=$SECONDS
  wd="$BUILD_ROOT/kubernetes-$K8S_VERSION"
  rm -rf "$wd" && mkdir -p "$wd"
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with
  # ./staging/src/...; those replaces do not apply to a dependent module, so the
  # wrapper replaces each one with its published twin v0.<minor>.<patch>.
  mod="$(cd "$wd" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [[ -f "$mod" ]] || die "could not download k8s.io/kubernetes@$K8S_VERSION through $GOPROXY"
  staging_ver="v0.${K8S_VERSION#v1.}"
  {
    echo "module platform-constructs.local/build-kubernetes"
    echo
    sed -n 's/^go \(.*\)$/go \1/p' "$mod"
    sed -n 's/^godebug \(.*\)$/godebug \1/p' "$mod"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/src/k8s.io/.*#\t\1 => \1 '"$staging_ver"'#p' "$mod"
    echo ")"
  } >"$wd/go.mod"
  grep -q 'k8s.io/api =>' "$wd/go.mod" || die "found no staging modules in k8s.io/kubernetes@$K8S_VERSION's go.mod"
  local pkg="k8s.io/component-base/version" cpkg="k8s.io/client-go/pkg/version" minor
  minor="$(echo "$K8S_VERSION" | cut -d. -f2)"
  local vflags=""
  for p in "$pkg" "$cpkg"; do
    vflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    vflags+=" -X $p.buildDate=1970-01-01T00:00:00Z -X $p.gitCommit=0000000000000000000000000000000000000000"
  done
  local pkgs=() outdir="$wd/bin"
  for c in "${need[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  mkdir -p "$outdir"
  (cd "$wd" && go build -trimpath -ldflags="$LDFLAGS_BASE$vflags" -o "$outdir/" "${pkgs[@]}") ||
    die "building ${need[*]} $K8S_VERSION failed (see the Go output above; is the module proxy $GOPROXY reachable?)"
  for c in "${need[@]}"; do
    mkdir -p "$(dirname "$(bin_path "$c")")"
    mv "$outdir/$c" "$(bin_path "$c")"
    verify "$(bin_path "$c")" "$c" "$K8S_VERSION" || die "the freshly built $(bin_path "$c") does not answer --version with $K8S_VERSION"
  done
  log "${need[*]} built in $((SECONDS - start)) s"
}

build_etcd
build_kubernetes
for c in "${ALL_COMPONENTS[@]}"; do
  log "ok: $(bin_path "$c")"
done
exit 0
}
