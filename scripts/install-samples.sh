#!/bin/sh
# Meson install script: put each sample in place as the live configuration
# file when that file does not exist yet.  An administrator's existing
# configuration is never overwritten; the .sample files themselves are.
# Files holding secrets get mode 0640 (upsd and upsmon refuse more).
set -eu
confdir="${DESTDIR:-}$1"
shift
for name in "$@"; do
    live="$confdir/$(basename "${name%.sample}")"
    [ -e "$live" ] && continue
    case "$(basename "$name")" in
        upsd.users.sample|upsmon.conf.sample|upsweb.conf.sample) mode=0640 ;;
        *) mode=0644 ;;
    esac
    install -m "$mode" "$confdir/$name" "$live"
done
