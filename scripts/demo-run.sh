#!/usr/bin/env bash
# The demo scenario proper (see demo.sh).  Until the daemons exist it checks
# the sample configuration with the parsers' -t.
set -euo pipefail
BUILD=$1
REPO=$(cd "$(dirname "$0")/.." && pwd)
echo "upsguard demo: checking the sample configuration in $REPO/conf"
if [ -x "$BUILD/src/tools/upsconf-check" ]; then
    NUT_CONFPATH="$REPO/conf" "$BUILD/src/tools/upsconf-check" -t
fi
