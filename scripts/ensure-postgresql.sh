#!/usr/bin/env bash
# The CDC tests run the real chain: the stack's own PostgreSQL (Debian's server binaries, initdb into the stack's
# folder on 127.0.0.1:25433) → Debezium on Kafka Connect. Install the binaries when missing (never the package's
# system cluster on :5432).
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi
source "$(dirname "${BASH_SOURCE[0]}")/debian-package.sh"
ensure_debian_packages postgresql postgresql
ls /usr/lib/postgresql/*/bin/initdb
