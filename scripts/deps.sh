#!/usr/bin/env bash
# Install the Debian packages a step needs: "build" (compile and unit
# tests) or "test" (everything `make check` runs against, real NUT peers
# included).  As root it runs apt-get; otherwise it prints the exact
# apt-get line and fails, so nothing is installed behind the user's back.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
want=$(grep -hv '^\s*#' "$here/deps-build.txt" | xargs)
if [ "${1:-build}" = test ]; then
    want="$want $(grep -hv '^\s*#' "$here/deps-test.txt" | xargs)"
fi
missing=()
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
line="apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "upsguard: missing Debian packages; run as root:" >&2
    echo "  apt-get update && $line" >&2
    exit 1
fi
echo "upsguard: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# Package scripts must not start services (nut-server, prometheus...) here.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
