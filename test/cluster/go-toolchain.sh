# Shared by the build scripts (sourced, not run): find Go, check its version, set the build
# environment, and serialize builds that share a cache. Expects `die`, `log` and CACHE_ROOT.

# use_go MIN_MINOR WHAT PREBUILT
#   MIN_MINOR  oldest Go 1.x minor that builds WHAT
#   WHAT       what needs Go, for the message ("Kubernetes v1.34.4 needs")
#   PREBUILT   how to do without Go ("set PLATFORM_CONSTRUCTS_K8S_ASSETS to ...")
# PLATFORM_CONSTRUCTS_GO names the go binary; else `go` on PATH, else /usr/local/go/bin/go.
use_go() {
  local min="$1" what="$2" prebuilt="$3"
  GO="${PLATFORM_CONSTRUCTS_GO:-}"
  if [[ -z "$GO" ]]; then
    if command -v go >/dev/null 2>&1; then
      GO="$(command -v go)"
    elif [[ -x /usr/local/go/bin/go ]]; then
      GO=/usr/local/go/bin/go
    fi
  fi
  if [[ -z "$GO" ]] || ! GO="$(command -v "$GO")"; then
    die "Go is not installed (${PLATFORM_CONSTRUCTS_GO:-no 'go' on PATH, nothing at /usr/local/go/bin/go}). Install Go >= 1.$min from https://go.dev/dl/ (or your package manager) and put it on PATH, or $prebuilt."
  fi
  export PATH="$(dirname "$GO"):$PATH"
  local go_minor  # go_version stays set: the build logs name it
  go_version="$(go env GOVERSION 2>/dev/null)" || die "'go env GOVERSION' failed; is the Go installation broken?"
  go_minor="$(echo "$go_version" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
  [[ -n "$go_minor" && "$go_minor" -ge "$min" ]] || die "$what Go >= 1.$min, found $go_version. Upgrade Go or $prebuilt."

  # GOTOOLCHAIN=local: never download another toolchain.
  export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
  export GOPROXY="${GOPROXY:-$(go env GOPROXY)}"
  BUILD_ROOT="$CACHE_ROOT/build"
  mkdir -p "$BUILD_ROOT"
}

# build_lock NAME: one build at a time per cache and lock name (a parallel run waits, then finds
# the binaries built).
build_lock() {
  local lock="$CACHE_ROOT/$1"
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$lock"
  if ! flock -n 9; then
    log "another build holds $lock; waiting for it ..."
    flock 9
  fi
}
