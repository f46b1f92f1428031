#!/usr/bin/env bash
# The demo scenario (see demo.sh): a simulated UPS (dummy-ups playing a
# .seq file) behind upsd on a loopback port, read with upsc, shown by
# upsweb, and watched by upsmon in dry-run mode, whose "shutdown" only
# touches a marker file through the upswrap filter engine.  Every process
# is stopped by pid on Ctrl-C or at the end (DEMO_SECONDS limits the run).
set -euo pipefail
BUILD=$1
REPO=$(cd "$(dirname "$0")/.." && pwd)
DEMO_SECONDS=${DEMO_SECONDS:-0}

bin() { local p; p=$(find "$BUILD/src" -maxdepth 2 -type f -name "$1" -perm -u+x | head -n1)
        [ -n "$p" ] || { echo "demo: $1 is not built" >&2; exit 1; }; echo "$p"; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

DIR=$(mktemp -d /tmp/upsguard-demo.XXXXXX)
chmod 755 "$DIR"
PIDS=()
cleanup() {
    trap - INT TERM EXIT
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$DIR"
    echo "demo: stopped everything it started"
}
trap cleanup INT TERM EXIT

# Started as root, the daemons drop to an unprivileged user; the demo uses
# 'nobody' so that it creates no account.  Otherwise they run as the caller.
RUNAS=()
if [ "$(id -u)" -eq 0 ]; then
    RUNAS=(-u nobody)
    GROUP=$(id -gn nobody)
fi
own() {  # own MODE FILE...: readable by the daemons, not by others
    local mode=$1; shift
    chmod "$mode" "$@"
    [ "$(id -u)" -ne 0 ] || chown "root:$GROUP" "$@"
}

PORT=$(free_port)
WEBPORT=$(free_port)
mkdir -p "$DIR/state"
own 0770 "$DIR/state"
export NUT_CONFPATH=$DIR NUT_STATEPATH=$DIR/state

cat > "$DIR/demo.seq" <<'SEQ'
device.mfr: upsguard
device.model: Simulated UPS
ups.mfr: upsguard
ups.model: Simulated UPS
battery.charge.low: 20
input.voltage.nominal: 230
ups.status: OL CHRG
battery.charge: 100
battery.runtime: 1800
input.voltage: 231.0
output.voltage: 230.0
ups.load: 35
TIMER 10
ups.status: OB DISCHRG
input.voltage: 0.0
battery.charge: 62
battery.runtime: 900
TIMER 10
ups.status: OB DISCHRG LB
battery.charge: 18
battery.runtime: 120
TIMER 60
SEQ
cat > "$DIR/ups.conf" <<CONF
[demo]
    driver = dummy-ups
    port = demo.seq
    desc = "upsguard demo UPS"
CONF
cat > "$DIR/upsd.conf" <<CONF
LISTEN 127.0.0.1 $PORT
CONF
: > "$DIR/upsd.users"
own 0640 "$DIR/upsd.users" "$DIR/ups.conf" "$DIR/upsd.conf" "$DIR/demo.seq"
echo "monpass-demo" | "$(bin upspasswd)" -f "$DIR/upsd.users" -s -m primary add monitor >/dev/null
cat > "$DIR/hosts.conf" <<CONF
MONITOR demo@127.0.0.1:$PORT "upsguard demo UPS"
CONF
cat > "$DIR/upsweb.conf" <<CONF
LISTEN 127.0.0.1 $WEBPORT
CONF
own 0640 "$DIR/hosts.conf" "$DIR/upsweb.conf"

echo "demo: working directory $DIR"
echo "demo: upsd.users holds a yescrypt hash written by upspasswd:"
grep -E 'password' "$DIR/upsd.users" | sed 's/^/    /'

"$(bin dummy-ups)" -a demo -F "${RUNAS[@]}" > "$DIR/dummy-ups.log" 2>&1 & PIDS+=($!)
for _ in $(seq 50); do [ -S "$DIR/state/dummy-ups-demo" ] && break; sleep 0.1; done
"$(bin upsd)" -F "${RUNAS[@]}" > "$DIR/upsd.log" 2>&1 & PIDS+=($!)
UPSC=$(bin upsc)
for _ in $(seq 100); do "$UPSC" "demo@127.0.0.1:$PORT" ups.status >/dev/null 2>&1 && break; sleep 0.1; done

echo
echo "demo: upsc demo@127.0.0.1:$PORT"
"$UPSC" "demo@127.0.0.1:$PORT" | sed 's/^/    /'

"$(bin upsweb)" -F "${RUNAS[@]}" > "$DIR/upsweb.log" 2>&1 & PIDS+=($!)
echo
echo "demo: dashboard at http://127.0.0.1:$WEBPORT/  (metrics: /metrics, API: /api/v1/ups)"

if [ -n "${DEMO_UPSMON:-1}" ] && UPSMON=$(bin upsmon 2>/dev/null); then
    "$REPO/scripts/demo-upsmon.sh" "$DIR" "$PORT" "$UPSMON" "$BUILD" & PIDS+=($!)
fi

echo
echo "demo: watching the UPS (Ctrl-C stops everything)"
start=$(date +%s)
last=""
while :; do
    status=$("$UPSC" "demo@127.0.0.1:$PORT" ups.status 2>/dev/null || echo "?")
    if [ "$status" != "$last" ]; then
        echo "    $(date +%T)  ups.status: $status   battery.charge: $("$UPSC" "demo@127.0.0.1:$PORT" battery.charge 2>/dev/null || echo ?)"
        last=$status
    fi
    if [ -f "$DIR/shutdown-marker" ] && [ ! -f "$DIR/.reported" ]; then
        echo "    $(date +%T)  upsmon's privileged part ran SHUTDOWNCMD through upswrap:"
        echo "              the shutdown marker exists; POWERDOWNFLAG holds '$(cat "$DIR/killpower" 2>/dev/null)'"
        grep -hE 'ONBATT|LOWBATT|FSD|SHUTDOWN|shutdown' "$DIR/upsmon.log" 2>/dev/null | tail -6 | sed 's/^/              /' || true
        touch "$DIR/.reported"
    fi
    if [ "$DEMO_SECONDS" -gt 0 ] && [ $(( $(date +%s) - start )) -ge "$DEMO_SECONDS" ]; then
        break
    fi
    sleep 1
done
