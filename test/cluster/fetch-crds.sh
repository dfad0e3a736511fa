#!/usr/bin/env bash
# Fetches the CustomResourceDefinitions of third-party operators the constructs create objects
# for, so that the tests can prove those objects against the real schemas on the real API
# server, at the versions ArmoniK deploys (aneoconsulting/ArmoniK versions.tfvars.json):
#   - KEDA 2.19.0 (ScaledObject, TriggerAuthentication, ...): config/crd/bases/keda.sh_*.yaml;
#   - the Percona Operator for MongoDB 1.22.0 (PerconaServerMongoDB, ...): deploy/crd.yaml;
#   - the Prometheus Operator 0.85.0 (ServiceMonitor, PodMonitor: what `PrometheusMonitors` makes;
#     ArmoniK deploys no operator, so the version is the module's newest at the time of writing):
#     example/prometheus-operator-crd/monitoring.coreos.com_{servicemonitors,podmonitors}.yaml.
# They come from each operator's Go module through the Go module proxy (checked against the Go
# checksum database); nothing is built.
#
# Result (XDG_CACHE_HOME is honoured; PLATFORM_CONSTRUCTS_CACHE_DIR overrides the root):
#   ~/.cache/platform-constructs/crds/keda-<version>/*.yaml
#   ~/.cache/platform-constructs/crds/psmdb-<version>/*.yaml
#   ~/.cache/platform-constructs/crds/prometheus-operator-<version>/*.yaml
# Prebuilt instead: PLATFORM_CONSTRUCTS_KEDA_CRDS=<dir>, PLATFORM_CONSTRUCTS_PSMDB_CRDS=<dir>,
# PLATFORM_CONSTRUCTS_PROMETHEUS_OPERATOR_CRDS=<dir>.
#
# Usage: test/cluster/fetch-crds.sh [--force] [--print-env]
#   --print-env  print KEDA_CRDS=<dir> and PSMDB_CRDS=<dir> on stdout (logs go to stderr)
set -euo pipefail
{

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pin() { sed -n 's/.*"'"$1"'": *"\([^"]*\)".*/\1/p' "$SCRIPT_DIR/crd-versions.json"; }
KEDA_VERSION="$(pin keda)"
PSMDB_VERSION="$(pin perconaServerMongodbOperator)"
PROMETHEUS_OPERATOR_VERSION="$(pin prometheusOperator)"
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
[[ -n "$KEDA_VERSION" && -n "$PSMDB_VERSION" && -n "$PROMETHEUS_OPERATOR_VERSION" ]] || die "could not read the pinned versions from $SCRIPT_DIR/crd-versions.json"

GO_READY=0
# fetch NAME MODULE VERSION OVERRIDE_VAR FILE...: the CRD files of MODULE@VERSION into the cache; prints the dir.
fetch() {
  local name="$1" module="$2" version="$3" override="$4"
  shift 4
  local dir="$CACHE_ROOT/crds/$name-$version"
  if [[ -n "${!override:-}" ]]; then
    dir="${!override}"
    ls "$dir"/*.yaml >/dev/null 2>&1 || die "$override=$dir holds no .yaml files"
    log "using the $name CRDs in $dir"
  elif [[ $FORCE == 0 && -f "$dir/.complete" ]]; then
    log "cached: $dir"
  else
    if [[ $GO_READY == 0 ]]; then
      # Only downloads: any Go that reads modules will do.
      source "$SCRIPT_DIR/go-toolchain.sh"
      use_go 21 "downloading the operators' modules needs" "set $override to a directory with the CRD files"
      build_lock .fetch-crds.lock
      export GOMODCACHE="$CACHE_ROOT/gomod"
      GO_READY=1
    fi
    log "downloading $module@$version (Go module proxy: $GOPROXY) ..."
    local src
    src="$(cd "$BUILD_ROOT" && go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
    [[ -n "$src" && -d "$src" ]] || die "could not download $module@$version"
    rm -rf "$dir"
    mkdir -p "$dir"
    local f
    for f in "$@"; do
      ls "$src"/$f >/dev/null 2>&1 || die "the module $module@$version has no $f"
      cp "$src"/$f "$dir/"
    done
    chmod 644 "$dir"/*.yaml
    echo "$module@$version" > "$dir/.complete"
    log "ok: $dir ($(ls "$dir"/*.yaml | wc -l) files)"
  fi
  FETCHED="$dir"
}

fetch keda github.com/kedacore/keda/v2 "$KEDA_VERSION" PLATFORM_CONSTRUCTS_KEDA_CRDS 'config/crd/bases/keda.sh_*.yaml'
KEDA_DIR="$FETCHED"
fetch psmdb github.com/percona/percona-server-mongodb-operator "$PSMDB_VERSION" PLATFORM_CONSTRUCTS_PSMDB_CRDS 'deploy/crd.yaml'
PSMDB_DIR="$FETCHED"
fetch prometheus-operator github.com/prometheus-operator/prometheus-operator "$PROMETHEUS_OPERATOR_VERSION" PLATFORM_CONSTRUCTS_PROMETHEUS_OPERATOR_CRDS \
  'example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml' 'example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml'
PROMETHEUS_OPERATOR_DIR="$FETCHED"

if [[ $PRINT_ENV == 1 ]]; then
  echo "KEDA_CRDS=$KEDA_DIR"
  echo "PSMDB_CRDS=$PSMDB_DIR"
  echo "PROMETHEUS_OPERATOR_CRDS=$PROMETHEUS_OPERATOR_DIR"
fi
exit 0
}
