#!/usr/bin/env bash
# make demo: a simulated UPS served by the suite's own programs on loopback.
# Everything runs in a temporary directory; Ctrl-C (or the end of the
# scenario) stops every process it started, by process id.
set -euo pipefail
BUILD=${1:-build}
BUILD=$(cd "$BUILD" && pwd)
REPO=$(cd "$(dirname "$0")/.." && pwd)
exec "$REPO/scripts/demo-run.sh" "$BUILD"
