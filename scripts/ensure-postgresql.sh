#!/usr/bin/env bash
# The CDC tests run the real chain: the stack's own PostgreSQL (Debian's server binaries, initdb into the stack's
# folder on 127.0.0.1:25433) → Debezium on Kafka Connect. Install the binaries when missing. The package's system
# cluster/service must not start (a host-wide server on :5432 is not ours to run), so service starts are refused
# during the install unless the machine already has a policy that does so.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
POLICY=/usr/sbin/policy-rc.d
ADDED_POLICY=""
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# added by ensure-postgresql.sh for the length of one install\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 755 "$POLICY"
  ADDED_POLICY=1
fi
cleanup() { if [ -n "$ADDED_POLICY" ]; then $SUDO rm -f "$POLICY"; fi; }
trap cleanup EXIT
echo "[postgresql] installing Debian's PostgreSQL server package (once per machine) ..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
ls /usr/lib/postgresql/*/bin/initdb
