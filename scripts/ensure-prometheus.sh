#!/usr/bin/env bash
# The metrics test scrapes the pack with a real Prometheus from Debian's packages (no tarball download). Install it when
# missing. The test runs the binary itself, as the project's own process on its own port and data folder; the package's
# system service must not start (a host-wide Prometheus on :9090 is not ours to run), so service starts are refused
# during the install unless the machine already has a policy that does so.
set -euo pipefail
if [ -x /usr/bin/prometheus ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
POLICY=/usr/sbin/policy-rc.d
ADDED_POLICY=""
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# added by ensure-prometheus.sh for the length of one install\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 755 "$POLICY"
  ADDED_POLICY=1
fi
cleanup() { if [ -n "$ADDED_POLICY" ]; then $SUDO rm -f "$POLICY"; fi; }
trap cleanup EXIT
echo "[prometheus] installing Debian's prometheus package (once per machine) ..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
/usr/bin/prometheus --version 2>&1 | head -1
