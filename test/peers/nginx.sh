#!/usr/bin/env bash
# Installs the real nginx the ingress tests run: Debian's `nginx` and `nginx-common` packages at
# the version pinned below, unpacked into the cache (debian-package.sh: no system install, no
# service, no root but to refresh apt's lists). The binary links libc, libcrypt, libpcre2, libssl3
# and zlib, which a Debian 12 base system has.
#
# Result: ~/.cache/platform-constructs/nginx-<debian version>/usr/sbin/nginx
# (XDG_CACHE_HOME is honoured; PLATFORM_CONSTRUCTS_CACHE_DIR overrides the root).
# PLATFORM_CONSTRUCTS_NGINX=<path of an nginx binary> uses that binary instead (checked with -v).
#
# Idempotent: an unpacked tree whose marker names the version and whose binary answers -v is
# kept; cached .debs are reused; concurrent calls wait on a lock. The last line of stdout is the
# binary's path. Exit codes: 0 ready; 3 nginx cannot be installed here (the tests skip); 1 else.
#
# Usage: test/peers/nginx.sh [--force]
set -euo pipefail
{
# Debian 12 (bookworm): nginx 1.22.1. A new point release fails here with exit 3 naming apt's candidate: bump the pin.
PEER=nginx
VERSION="1.22.1-9+deb12u11"
PACKAGES=(nginx nginx-common)
BIN_PATH=usr/sbin/nginx
OVERRIDE=PLATFORM_CONSTRUCTS_NGINX
binary_ok() { "$1" -v 2>&1 | grep -q "nginx/${VERSION%%-*}"; }
source "$(dirname "${BASH_SOURCE[0]}")/debian-package.sh"
deb_peer_main "$@"
}
