#!/usr/bin/env bash
# The browser test drives Debian's Chromium (no browser download): install it from Debian's packages when missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
source "$(dirname "${BASH_SOURCE[0]}")/debian-package.sh"
ensure_debian_packages chromium chromium fonts-dejavu-core
/usr/bin/chromium --version
