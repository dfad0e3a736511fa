#!/usr/bin/env bash
# Fetches the CustomResourceDefinitions of third-party operators the constructs create objects
# for, so that the tests can prove those objects against the real schemas on the real API
# server: KEDA's (ScaledObject, TriggerAuthentication, ...), at the version ArmoniK deploys
# (aneoconsulting/ArmoniK versions.tfvars.json: keda 2.19.0). They come from the operator's Go
# module through the Go module proxy (checked against the Go checksum database), nothing built.
#
# Result (XDG_CACHE_HOME is honoured; PLATFORM_CONSTRUCTS_CACHE_DIR overrides the root):
#   ~/.cache/platform-constructs/crds/keda-<version>/keda.sh_*.yaml
# Prebuilt instead: PLATFORM_CONSTRUCTS_KEDA_CRDS=<dir holding keda.sh_scaledobjects.yaml>.
#
# Usage: test/cluster/fetch-crds.sh [--force] [--print-env]
#   --print-env  print KEDA_CRDS=<dir> on stdout (logs go to stderr)
set -euo pipefail
{

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pin() { sed -n 's/.*"'"$1"'": *"\([^"]*\)".*/\1/p' "$SCRIPT_DIR/crd-versions.json"; }
KEDA_VERSION="$(pin keda)"
KEDA_MODULE=github.com/kedacore/keda/v2
CACHE_ROOT="${PLATFORM_CONSTRUCTS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/platform-constructs}"
FORCE=0
PRINT_ENV=0

die() {
  echo "fetch-crds: error: $*" >&2
  exit 1
}
log() { echo "fetch-crds: $*" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --force) FORCE=1 ;;
    --print-env) PRINT_ENV=1 ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
      exit 0
      ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done
[[ -n "$KEDA_VERSION" ]] || die "could not read the pinned KEDA version from $SCRIPT_DIR/crd-versions.json"

KEDA_DIR="$CACHE_ROOT/crds/keda-$KEDA_VERSION"
if [[ -n "${PLATFORM_CONSTRUCTS_KEDA_CRDS:-}" ]]; then
  KEDA_DIR="$PLATFORM_CONSTRUCTS_KEDA_CRDS"
  [[ -f "$KEDA_DIR/keda.sh_scaledobjects.yaml" ]] || die "PLATFORM_CONSTRUCTS_KEDA_CRDS=$KEDA_DIR holds no keda.sh_scaledobjects.yaml"
  log "using the KEDA CRDs in $KEDA_DIR"
elif [[ $FORCE == 0 && -f "$KEDA_DIR/.complete" ]]; then
  log "cached: $KEDA_DIR"
else
  # Only a download: any Go that reads modules will do.
  source "$SCRIPT_DIR/go-toolchain.sh"
  use_go 21 "downloading the KEDA module needs" "set PLATFORM_CONSTRUCTS_KEDA_CRDS to a directory with KEDA's config/crd/bases files"
  build_lock .fetch-crds.lock
  export GOMODCACHE="$CACHE_ROOT/gomod"
  log "downloading $KEDA_MODULE@$KEDA_VERSION (Go module proxy: $GOPROXY) ..."
  dir="$(cd "$BUILD_ROOT" && go mod download -json "$KEDA_MODULE@$KEDA_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$dir" && -d "$dir/config/crd/bases" ]] || die "the module $KEDA_MODULE@$KEDA_VERSION has no config/crd/bases"
  rm -rf "$KEDA_DIR"
  mkdir -p "$KEDA_DIR"
  cp "$dir"/config/crd/bases/keda.sh_*.yaml "$KEDA_DIR/"
  chmod 644 "$KEDA_DIR"/*.yaml
  echo "$KEDA_MODULE@$KEDA_VERSION" > "$KEDA_DIR/.complete"
  log "ok: $KEDA_DIR ($(ls "$KEDA_DIR"/*.yaml | wc -l) CRDs)"
fi

if [[ $PRINT_ENV == 1 ]]; then
  echo "KEDA_CRDS=$KEDA_DIR"
fi
exit 0
}
