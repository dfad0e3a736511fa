#!/usr/bin/env bash
# Builds the pinned Terraform-side tools the cdktf and GitOps tests run offline, from Go
# modules through the Go module proxy, with the machine's Go toolchain:
#   - OpenTofu (`tofu`, a Terraform-compatible CLI; cdktf runs it via TERRAFORM_BINARY_NAME),
#   - the hashicorp/kubernetes provider (`kubernetes_manifest`) and the alekc/kubectl provider
#     (`kubectl_manifest`, the fast engine of lib/tf), installed into filesystem mirrors,
#   - kustomize and kube-score (the GitOps layout's build and its policy scan).
# It then writes a Terraform CLI config file that installs both providers from those mirrors
# only (no registry, no checkpoint calls).
#
# Result (XDG_CACHE_HOME is honoured; PLATFORM_CONSTRUCTS_CACHE_DIR overrides the root):
#   ~/.cache/platform-constructs/tofu-<version>/tofu
#   ~/.cache/platform-constructs/kustomize-<version>/kustomize
#   ~/.cache/platform-constructs/kube-score-<version>/kube-score
#   ~/.cache/platform-constructs/terraform-provider-kubernetes-<version>/mirror/
#       registry.terraform.io/hashicorp/kubernetes/<version>/<os>_<arch>/terraform-provider-kubernetes_v<version>
#   ~/.cache/platform-constructs/terraform-provider-kubectl-<version>/mirror/
#       registry.terraform.io/alekc/kubectl/<version>/<os>_<arch>/terraform-provider-kubectl_v<version>
#   ~/.cache/platform-constructs/terraform-cli.tfrc          (TF_CLI_CONFIG_FILE)
#
# Idempotent: a cached tool that passes its check (`tofu version`, `kustomize version`,
# `kube-score version`, the provider's build stamp) is kept. Prebuilt tools instead of builds:
#   PLATFORM_CONSTRUCTS_TOFU=<binary>       a tofu or terraform binary (checked with `version`)
#   PLATFORM_CONSTRUCTS_TF_MIRROR=<dir>     a filesystem mirror holding registry.terraform.io/hashicorp/kubernetes
#                                           and registry.terraform.io/alekc/kubectl
#   PLATFORM_CONSTRUCTS_KUSTOMIZE=<binary>  a kustomize binary (checked with `version`)
#   PLATFORM_CONSTRUCTS_KUBE_SCORE=<binary> a kube-score binary (checked with `version`)
#
# Usage: test/cluster/build-terraform.sh [--force] [--print-env]
#   --print-env  after the build, print TOFU=, KUSTOMIZE=, KUBE_SCORE=, TF_MIRROR=, TF_CLI_CONFIG_FILE=,
#                KUBERNETES_PROVIDER_VERSION=, KUBECTL_MIRROR=, KUBECTL_PROVIDER_VERSION= lines on stdout (logs go to stderr)
set -euo pipefail
# The body is one compound command, so bash parses it whole before running it
# (editing this file during a long build cannot break the running build).
{

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSIONS="$SCRIPT_DIR/terraform-versions.json"
pin() { sed -n 's/.*"'"$1"'": *"\([^"]*\)".*/\1/p' "$VERSIONS"; }
TOFU_VERSION="$(pin opentofu)"
PROVIDER_VERSION="$(pin kubernetesProvider)"
PROVIDER_MODULE_VERSION="$(pin kubernetesProviderModule)"
KUSTOMIZE_VERSION="$(pin kustomize)"
KUBE_SCORE_VERSION="$(pin kubeScore)"
KUBECTL_VERSION="$(pin kubectlProvider)"
KUBECTL_MODULE_VERSION="$(pin kubectlProviderModule)"
KUBECTL_MODULE=github.com/alekc/terraform-provider-kubectl
TOFU_MODULE=github.com/opentofu/opentofu
PROVIDER_MODULE=github.com/hashicorp/terraform-provider-kubernetes
KUSTOMIZE_MODULE=sigs.k8s.io/kustomize/kustomize/v5
KUBE_SCORE_MODULE=github.com/zegl/kube-score
CACHE_ROOT="${PLATFORM_CONSTRUCTS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/platform-constructs}"
FORCE=0
PRINT_ENV=0

die() {
  echo "build-terraform: error: $*" >&2
  exit 1
}
log() { echo "build-terraform: $*" >&2; }

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

[[ -n "$TOFU_VERSION" && -n "$PROVIDER_VERSION" && -n "$PROVIDER_MODULE_VERSION" && -n "$KUSTOMIZE_VERSION" && -n "$KUBE_SCORE_VERSION" &&
  -n "$KUBECTL_VERSION" && -n "$KUBECTL_MODULE_VERSION" ]] ||
  die "could not read pinned versions from $VERSIONS"

case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) die "unsupported OS $(uname -s)" ;; esac
case "$(uname -m)" in x86_64 | amd64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) die "unsupported CPU $(uname -m)" ;; esac
PLATFORM="${os}_${arch}"

TOFU_BIN="$CACHE_ROOT/tofu-$TOFU_VERSION/tofu"
KUSTOMIZE_BIN="$CACHE_ROOT/kustomize-$KUSTOMIZE_VERSION/kustomize"
KUBE_SCORE_BIN="$CACHE_ROOT/kube-score-$KUBE_SCORE_VERSION/kube-score"
MIRROR="$CACHE_ROOT/terraform-provider-kubernetes-$PROVIDER_VERSION/mirror"
PROVIDER_BIN="$MIRROR/registry.terraform.io/hashicorp/kubernetes/$PROVIDER_VERSION/$PLATFORM/terraform-provider-kubernetes_v$PROVIDER_VERSION"
KUBECTL_MIRROR="$CACHE_ROOT/terraform-provider-kubectl-$KUBECTL_VERSION/mirror"
KUBECTL_BIN="$KUBECTL_MIRROR/registry.terraform.io/alekc/kubectl/$KUBECTL_VERSION/$PLATFORM/terraform-provider-kubectl_v$KUBECTL_VERSION"
CLI_CONFIG="$CACHE_ROOT/terraform-cli.tfrc"

# verify_version <binary> <expected substring>: `<binary> version` must print it.
verify_version() {
  local bin="$1" want="$2" out
  [[ -x "$bin" ]] || return 1
  if ! out="$("$bin" version 2>&1)"; then
    log "$bin version failed: $(echo "$out" | head -3)"
    return 1
  fi
  if [[ -n "$want" && "$out" != *"$want"* ]]; then
    log "$bin version printed '$(echo "$out" | head -1)', expected $want"
    return 1
  fi
}

# The provider only speaks the plugin protocol; a stamp written after the build records the
# module version and the binary's checksum.
verify_provider() {
  local bin="$1" module="$2" stamp="$1.stamp"
  [[ -x "$bin" && -f "$stamp" ]] || return 1
  [[ "$(cat "$stamp")" == "$module $(sha256sum "$bin" | cut -d' ' -f1)" ]] || {
    log "$bin does not match its build stamp $stamp"
    return 1
  }
}

# A tool needs no build when a prebuilt binary is given (and answers `version`) or when the
# cached one prints the pinned version. Sets <need var>=0 and, for a prebuilt one, <bin var>.
prebuilt_or_cached() { # <need var> <override env var> <bin var> <tool> <pinned version> <what `version` prints>
  local need="$1" override="$2" binvar="$3" tool="$4" version="$5" marker="$6"
  if [[ -n "${!override:-}" ]]; then
    printf -v "$binvar" '%s' "${!override}"
    verify_version "${!binvar}" "" || die "$override=${!binvar} is not a working $tool binary (\`version\` failed). Fix the path or unset it to build $tool $version."
    log "using prebuilt $tool ($("${!binvar}" version | head -1)) at ${!binvar}"
    printf -v "$need" 0
  elif [[ $FORCE == 0 ]] && verify_version "${!binvar}" "$marker"; then
    log "cached: ${!binvar}"
    printf -v "$need" 0
  fi
}

need_tofu=1 need_provider=1 need_kubectl=1 need_kustomize=1 need_kube_score=1
prebuilt_or_cached need_tofu PLATFORM_CONSTRUCTS_TOFU TOFU_BIN OpenTofu "$TOFU_VERSION" "OpenTofu $TOFU_VERSION"$'\n'
if [[ -n "${PLATFORM_CONSTRUCTS_TF_MIRROR:-}" ]]; then
  MIRROR="$PLATFORM_CONSTRUCTS_TF_MIRROR"
  found="$(ls -d "$MIRROR"/registry.terraform.io/hashicorp/kubernetes/*/"$PLATFORM" 2>/dev/null | head -1 || true)"
  [[ -n "$found" ]] || die "PLATFORM_CONSTRUCTS_TF_MIRROR=$MIRROR holds no registry.terraform.io/hashicorp/kubernetes/<version>/$PLATFORM/. Fix it or unset it to build the provider $PROVIDER_VERSION."
  PROVIDER_VERSION="$(basename "$(dirname "$found")")"
  found="$(ls -d "$MIRROR"/registry.terraform.io/alekc/kubectl/*/"$PLATFORM" 2>/dev/null | head -1 || true)"
  [[ -n "$found" ]] || die "PLATFORM_CONSTRUCTS_TF_MIRROR=$MIRROR holds no registry.terraform.io/alekc/kubectl/<version>/$PLATFORM/. Fix it or unset it to build the providers."
  KUBECTL_MIRROR="$MIRROR"
  KUBECTL_VERSION="$(basename "$(dirname "$found")")"
  log "using the provider mirror $MIRROR (hashicorp/kubernetes $PROVIDER_VERSION, alekc/kubectl $KUBECTL_VERSION)"
  need_provider=0 need_kubectl=0
else
  if [[ $FORCE == 0 ]] && verify_provider "$PROVIDER_BIN" "$PROVIDER_MODULE@$PROVIDER_MODULE_VERSION"; then
    log "cached: $PROVIDER_BIN"
    need_provider=0
  fi
  if [[ $FORCE == 0 ]] && verify_provider "$KUBECTL_BIN" "$KUBECTL_MODULE@$KUBECTL_MODULE_VERSION"; then
    log "cached: $KUBECTL_BIN"
    need_kubectl=0
  fi
fi
prebuilt_or_cached need_kustomize PLATFORM_CONSTRUCTS_KUSTOMIZE KUSTOMIZE_BIN kustomize "$KUSTOMIZE_VERSION" "$KUSTOMIZE_VERSION"
prebuilt_or_cached need_kube_score PLATFORM_CONSTRUCTS_KUBE_SCORE KUBE_SCORE_BIN kube-score "$KUBE_SCORE_VERSION" "version: $KUBE_SCORE_VERSION,"

if [[ $need_tofu == 1 || $need_provider == 1 || $need_kubectl == 1 || $need_kustomize == 1 || $need_kube_score == 1 ]]; then
  # --- Go toolchain -----------------------------------------------------------
  # The provider's go.mod says go 1.26.3, kustomize's 1.26.0.
  source "$SCRIPT_DIR/go-toolchain.sh"
  use_go 26 "the provider and kustomize need" \
    "give prebuilt tools with PLATFORM_CONSTRUCTS_TOFU, PLATFORM_CONSTRUCTS_TF_MIRROR, PLATFORM_CONSTRUCTS_KUSTOMIZE and PLATFORM_CONSTRUCTS_KUBE_SCORE (see --help)"
  build_lock .build-terraform.lock
fi

# build_module <module> <version> <package dir in the module> <out> [ldflags]: downloads the
# module, copies it into a work dir and builds there, with the module's own go.mod and go.sum
# (OpenTofu's go.mod has `replace` directives, which `go install module@version` refuses).
build_module() {
  local mod="$1" ver="$2" pkg="$3" out="$4" extra="${5:-}" dir wd
  dir="$(go mod download -json "$mod@$ver" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')" || true
  [[ -n "$dir" && -d "$dir" ]] || die "could not download $mod@$ver through $GOPROXY (is the module proxy reachable?)"
  wd="$BUILD_ROOT/$(basename "$mod")-$ver"
  rm -rf "$wd" && mkdir -p "$(dirname "$wd")" && cp -r "$dir" "$wd" && chmod -R u+w "$wd"
  mkdir -p "$(dirname "$out")"
  (cd "$wd" && go build -trimpath -ldflags="-s -w$extra" -o "$out.tmp" "$pkg") ||
    die "building $mod@$ver failed (see the Go output above; is the module proxy $GOPROXY reachable?)"
  rm -rf "$wd"
  mv "$out.tmp" "$out"
}

if [[ $need_tofu == 1 ]]; then
  log "building OpenTofu $TOFU_VERSION (go $go_version; a cold build takes minutes) ..."
  start=$SECONDS
  # The version comes from the module's embedded version/VERSION file; releases set dev=no
  # (else it reports v<version>-dev).
  build_module "$TOFU_MODULE" "$TOFU_VERSION" ./cmd/tofu "$TOFU_BIN" " -X github.com/opentofu/opentofu/version.dev=no"
  verify_version "$TOFU_BIN" "OpenTofu $TOFU_VERSION"$'\n' || die "the freshly built $TOFU_BIN does not report $TOFU_VERSION"
  log "OpenTofu built in $((SECONDS - start)) s: $TOFU_BIN"
fi

if [[ $need_provider == 1 ]]; then
  log "building terraform-provider-kubernetes $PROVIDER_VERSION ($PROVIDER_MODULE@$PROVIDER_MODULE_VERSION) ..."
  start=$SECONDS
  build_module "$PROVIDER_MODULE" "$PROVIDER_MODULE_VERSION" . "$PROVIDER_BIN"
  echo "$PROVIDER_MODULE@$PROVIDER_MODULE_VERSION $(sha256sum "$PROVIDER_BIN" | cut -d' ' -f1)" >"$PROVIDER_BIN.stamp"
  log "provider built in $((SECONDS - start)) s: $PROVIDER_BIN"
fi

if [[ $need_kubectl == 1 ]]; then
  # The Go module has no v2 path, so its releases (v2.x tags) are reachable only as
  # pseudo-versions; the pin is release $KUBECTL_VERSION plus dependency bumps.
  log "building terraform-provider-kubectl $KUBECTL_VERSION ($KUBECTL_MODULE@$KUBECTL_MODULE_VERSION) ..."
  start=$SECONDS
  build_module "$KUBECTL_MODULE" "$KUBECTL_MODULE_VERSION" . "$KUBECTL_BIN"
  echo "$KUBECTL_MODULE@$KUBECTL_MODULE_VERSION $(sha256sum "$KUBECTL_BIN" | cut -d' ' -f1)" >"$KUBECTL_BIN.stamp"
  log "provider built in $((SECONDS - start)) s: $KUBECTL_BIN"
fi

if [[ $need_kustomize == 1 ]]; then
  log "building kustomize $KUSTOMIZE_VERSION ..."
  start=$SECONDS
  # Built outside its VCS checkout, kustomize learns its version from this variable.
  build_module "$KUSTOMIZE_MODULE" "$KUSTOMIZE_VERSION" . "$KUSTOMIZE_BIN" " -X sigs.k8s.io/kustomize/api/provenance.version=$KUSTOMIZE_VERSION"
  verify_version "$KUSTOMIZE_BIN" "$KUSTOMIZE_VERSION" || die "the freshly built $KUSTOMIZE_BIN does not report $KUSTOMIZE_VERSION"
  log "kustomize built in $((SECONDS - start)) s: $KUSTOMIZE_BIN"
fi

if [[ $need_kube_score == 1 ]]; then
  log "building kube-score $KUBE_SCORE_VERSION ..."
  start=$SECONDS
  # Releases stamp the version through goreleaser; a module build sets the same variable.
  build_module "$KUBE_SCORE_MODULE" "$KUBE_SCORE_VERSION" ./cmd/kube-score "$KUBE_SCORE_BIN" " -X main.version=$KUBE_SCORE_VERSION"
  verify_version "$KUBE_SCORE_BIN" "version: $KUBE_SCORE_VERSION," || die "the freshly built $KUBE_SCORE_BIN does not report $KUBE_SCORE_VERSION"
  log "kube-score built in $((SECONDS - start)) s: $KUBE_SCORE_BIN"
fi

# --- Terraform CLI config -------------------------------------------------------
# Providers come from the mirror only: any other provider, or a network install, fails.
mkdir -p "$CACHE_ROOT"
cat >"$CLI_CONFIG.tmp" <<EOF
# Written by test/cluster/build-terraform.sh: install hashicorp/kubernetes and alekc/kubectl
# from the local filesystem mirrors only, never from a registry; no checkpoint (update check) calls.
disable_checkpoint = true

provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/hashicorp/kubernetes"]
  }
  filesystem_mirror {
    path    = "$KUBECTL_MIRROR"
    include = ["registry.terraform.io/alekc/kubectl"]
  }
}
EOF
mv "$CLI_CONFIG.tmp" "$CLI_CONFIG"
log "ok: $TOFU_BIN"
log "ok: $MIRROR (hashicorp/kubernetes $PROVIDER_VERSION)"
log "ok: $KUBECTL_MIRROR (alekc/kubectl $KUBECTL_VERSION)"
log "ok: $KUSTOMIZE_BIN"
log "ok: $KUBE_SCORE_BIN"
log "ok: $CLI_CONFIG"

if [[ $PRINT_ENV == 1 ]]; then
  echo "TOFU=$TOFU_BIN"
  echo "KUSTOMIZE=$KUSTOMIZE_BIN"
  echo "KUBE_SCORE=$KUBE_SCORE_BIN"
  echo "TF_MIRROR=$MIRROR"
  echo "TF_CLI_CONFIG_FILE=$CLI_CONFIG"
  echo "KUBERNETES_PROVIDER_VERSION=$PROVIDER_VERSION"
  echo "KUBECTL_MIRROR=$KUBECTL_MIRROR"
  echo "KUBECTL_PROVIDER_VERSION=$KUBECTL_VERSION"
fi
exit 0
}
