#!/usr/bin/env bash
# Installs the real Prometheus the Konsumerator tests query: Debian's `prometheus` package at
# the version pinned below, unpacked into the cache (debian-package.sh: no system install, no
# service, no root but to refresh apt's lists). The binary links libc only; the package's web UI
# assets are not needed for the HTTP API.
#
# Result: ~/.cache/platform-constructs/prometheus-<debian version>/usr/bin/prometheus
# (XDG_CACHE_HOME is honoured; PLATFORM_CONSTRUCTS_CACHE_DIR overrides the root).
# PLATFORM_CONSTRUCTS_PROMETHEUS=<path of a prometheus binary> uses that binary instead
# (checked with --version, nothing downloaded).
#
# Idempotent: an unpacked tree whose marker names the version and whose binary answers
# --version is kept; a partial one is removed and unpacked again; a cached .deb is reused.
# Concurrent calls wait on a lock. The last line of stdout is the binary's path; progress
# goes to stderr.
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
PEER=prometheus
VERSION="2.42.0+ds-5+deb12u1"
PACKAGES=(prometheus)
BIN_PATH=usr/bin/prometheus
OVERRIDE=PLATFORM_CONSTRUCTS_PROMETHEUS
binary_ok() { "$1" --version 2>&1 | head -n 1 | grep -q "version ${VERSION%%+*}"; }
source "$(dirname "${BASH_SOURCE[0]}")/debian-package.sh"
deb_peer_main "$@"
}
