#!/usr/bin/env bash
# The metrics test scrapes the pack with a real Prometheus from Debian's packages (no tarball download): install it when
# missing. The test runs the binary itself, as the project's own process on its own port and data folder (never the
# package's service on :9090).
set -euo pipefail
if [ -x /usr/bin/prometheus ]; then exit 0; fi
source "$(dirname "${BASH_SOURCE[0]}")/debian-package.sh"
ensure_debian_packages prometheus prometheus
/usr/bin/prometheus --version 2>&1 | head -1
