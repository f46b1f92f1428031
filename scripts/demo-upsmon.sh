#!/usr/bin/env bash
# upsmon in dry-run mode against the demo upsd (docs/upsmon.md "Dry run"):
# its privileged part runs SHUTDOWNCMD through the upswrap filter engine,
# and the only filter allows touching $DIR/shutdown-marker.
set -euo pipefail
DIR=$1 PORT=$2 UPSMON=$3
ESC=$(printf '%s' "$DIR" | sed 's/[].[^$*+?(){}|\\]/\\&/g')
mkdir -p "$DIR/rootwrap.d"
chmod 0755 "$DIR/rootwrap.d"
cat > "$DIR/rootwrap.conf" <<CONF
[DEFAULT]
filters_path=$DIR/rootwrap.d
exec_dirs=/usr/bin,/bin
use_syslog=False
CONF
cat > "$DIR/rootwrap.d/dryrun.filters" <<CONF
[Filters]
dryrun_marker: RegExpFilter, /usr/bin/touch, root, (/usr)?(/bin/)?touch, $ESC/shutdown-marker
CONF
chmod 0644 "$DIR/rootwrap.conf" "$DIR/rootwrap.d/dryrun.filters"
cat > "$DIR/upsmon.conf" <<CONF
MONITOR demo@127.0.0.1:$PORT 1 monitor monpass-demo primary
SHUTDOWNCMD "/usr/bin/touch $DIR/shutdown-marker"
WRAPCONF $DIR/rootwrap.conf
POWERDOWNFLAG $DIR/killpower
POLLFREQ 2
POLLFREQALERT 1
HOSTSYNC 5
FINALDELAY 2
CONF
chmod 0600 "$DIR/upsmon.conf"
RUNAS=()
[ "$(id -u)" -ne 0 ] || RUNAS=(-u nobody)
exec "$UPSMON" -F "${RUNAS[@]}" > "$DIR/upsmon.log" 2>&1
