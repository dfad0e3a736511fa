#!/usr/bin/env bash
# Builds the Python virtualenv of the WAO test peers: sushy-tools (the Redfish emulator) and
# MLServer (a V2 inference server), at the versions pinned in versions.json, every other
# package pinned by constraints.txt. Python only runs these test peers; nothing of the
# product is Python.
#
# Result: ~/.cache/platform-constructs/venv-wao-<hash>/ where <hash> covers versions.json,
# constraints.txt and the interpreter's major.minor (XDG_CACHE_HOME is honoured;
# PLATFORM_CONSTRUCTS_CACHE_DIR overrides the root). The interpreter is
# $PLATFORM_CONSTRUCTS_PYTHON, else python3 on PATH; it must match versions.json's "python".
#
# Idempotent: a venv whose marker file names its hash and whose packages import is kept;
# a partial one (an interrupted build) is removed and built again. Concurrent calls wait on
# a lock. The last line of stdout is the venv's path; progress and timings go to stderr.
#
# Exit codes: 0 ready; 3 no suitable Python (the tests skip on this one); 1 anything else.
#
# Usage: test/peers/python-peers.sh [--print-dir] [--force]
set -euo pipefail
{

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${PLATFORM_CONSTRUCTS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/platform-constructs}"
PYTHON="${PLATFORM_CONSTRUCTS_PYTHON:-python3}"
FORCE=0
PRINT_DIR=0

log() { echo "python-peers: $*" >&2; }
die() {
  echo "python-peers: error: $*" >&2
  exit 1
}
pin() { sed -n "s/.*\"$1\": *\"\\([^\"]*\\)\".*/\\1/p" "$SCRIPT_DIR/versions.json"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --force) FORCE=1 ;;
    --print-dir) PRINT_DIR=1 ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
      exit 0
      ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done

SUSHY_VERSION="$(pin sushy-tools)"
MLSERVER_VERSION="$(pin mlserver)"
[[ -n "$SUSHY_VERSION" && -n "$MLSERVER_VERSION" ]] || die "could not read the pinned versions from $SCRIPT_DIR/versions.json"

# The interpreter: versions.json says ">=3.11,<3.13" (numpy and pandas of constraints.txt need
# 3.11, MLServer 1.7 refuses 3.13).
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "python-peers: no Python interpreter: '$PYTHON' is not on PATH (set PLATFORM_CONSTRUCTS_PYTHON)" >&2
  exit 3
fi
PY_MM="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"
case "$PY_MM" in
  3.11 | 3.12) ;;
  *)
    echo "python-peers: $PYTHON is Python '${PY_MM:-unknown}', the peers need 3.11 or 3.12 (set PLATFORM_CONSTRUCTS_PYTHON)" >&2
    exit 3
    ;;
esac
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "python-peers: $PYTHON has no venv/ensurepip module (Debian: apt-get install python3-venv)" >&2
  exit 3
fi

HASH="$({ cat "$SCRIPT_DIR/versions.json" "$SCRIPT_DIR/constraints.txt"; echo "python $PY_MM"; } | sha256sum | cut -c1-12)"
VENV="$CACHE_ROOT/venv-wao-$HASH"
if [[ $PRINT_DIR -eq 1 ]]; then
  echo "$VENV"
  exit 0
fi

ready() {
  [[ -f "$VENV/.complete" && "$(cat "$VENV/.complete")" == "$HASH" ]] &&
    "$VENV/bin/python" -c 'import sushy_tools.static.main, sushy_tools.emulator.auth_basic, mlserver, numpy' >/dev/null 2>&1 &&
    [[ -x "$VENV/bin/sushy-static" && -x "$VENV/bin/mlserver" ]]
}

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/venv-wao.lock"
flock 9

t0=$SECONDS
if [[ $FORCE -eq 0 ]] && ready; then
  log "venv ready (cached, checked in $((SECONDS - t0)) s): sushy-tools $SUSHY_VERSION, mlserver $MLSERVER_VERSION, Python $PY_MM"
  echo "$VENV"
  exit 0
fi

log "building $VENV (sushy-tools $SUSHY_VERSION, mlserver $MLSERVER_VERSION, Python $PY_MM)"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
t_venv=$((SECONDS - t0))
t1=$SECONDS
# --no-input: never wait for a prompt (CI has no stdin); the constraints pin every dependency.
PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install --no-input --quiet \
  -c "$SCRIPT_DIR/constraints.txt" \
  "sushy-tools==$SUSHY_VERSION" "mlserver==$MLSERVER_VERSION" >&2 ||
  {
    rm -rf "$VENV"
    die "pip install failed (PyPI must be reachable; the partial venv was removed)"
  }
t_pip=$((SECONDS - t1))
t2=$SECONDS
"$VENV/bin/python" -m pip check >&2 || {
  rm -rf "$VENV"
  die "pip check failed: the pinned set is inconsistent"
}
"$VENV/bin/python" -c 'import sushy_tools.static.main, sushy_tools.emulator.auth_basic, mlserver, numpy' || {
  rm -rf "$VENV"
  die "the installed packages do not import"
}
echo "$HASH" >"$VENV/.complete"
log "venv built in $((SECONDS - t0)) s (venv $t_venv s, pip install $t_pip s, checks $((SECONDS - t2)) s), $(du -sm "$VENV" | cut -f1) MB"
echo "$VENV"
exit 0
}
