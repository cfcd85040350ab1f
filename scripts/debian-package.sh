# shellcheck shell=bash
# Sourced by scripts/ensure-*.sh: installs the Debian packages a test needs, once per machine, from Debian's archive
# (no tarball or browser download). Each ensure script first checks whether its tool is there, so a machine that has
# it never reaches apt (CI then runs offline).
#   ensure_debian_packages <what> <package>...
# A package's system service must not start (a host-wide server is not ours to run: the stack runs its own process on
# its own port and data folder), so service starts are refused during the install through policy-rc.d, unless the
# machine already has a policy of its own.
ensure_debian_packages() {
  local what="$1"
  shift
  local sudo="" policy=/usr/sbin/policy-rc.d
  if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# added by scripts/debian-package.sh for the length of one install\nexit 101\n' |
      $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    # shellcheck disable=SC2064 # expanded now: the locals are gone when the script exits
    trap "$sudo rm -f $policy" EXIT
  fi
  echo "[$what] installing Debian's $* (once per machine) ..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
