"""Helpers for the upsmon tests: configuration files, a harmless
SHUTDOWNCMD allowed by a root-owned upswrap filter, a NOTIFYCMD recorder,
and access to upsmon's three processes.

Everything the unprivileged [net]/[notify] processes touch lives in a
directory under /tmp they can traverse (pytest's own base is 0700 root).
"""
import os
import re
import shutil
import tempfile
import time

from conftest import our_bin, wait_for

NOTIFY_SCRIPT = """#!/bin/sh
# One line per notification: TYPE|UPSNAME|argc|arg1
printf '%s|%s|%s|%s\\n' "$NOTIFYTYPE" "$UPSNAME" "$#" "$1" >> {log}
"""


class UpsmonEnv:
    """A confdir + statedir for one upsmon instance, with a marker SHUTDOWNCMD."""

    def __init__(self, name="upsmon"):
        self.base = tempfile.mkdtemp(prefix="upsguard-upsmon-", dir="/tmp")
        os.chmod(self.base, 0o755)
        self.name = name
        self.confdir = os.path.join(self.base, "conf")
        self.statedir = os.path.join(self.base, "state")
        self.filters = os.path.join(self.confdir, "rootwrap.d")
        self.pub = os.path.join(self.base, "pub")  # writable by the dropped user
        for d in (self.confdir, self.statedir, self.filters):
            os.makedirs(d, mode=0o755)
            os.chmod(d, 0o755)
        os.makedirs(self.pub)
        os.chmod(self.pub, 0o777)
        self.marker = os.path.join(self.base, "shutdown-marker")
        self.pdflag = os.path.join(self.base, "killpower")
        self.events_log = os.path.join(self.pub, "events.log")
        open(self.events_log, "w").close()
        os.chmod(self.events_log, 0o666)
        self.notify_script = os.path.join(self.base, "notify.sh")
        with open(self.notify_script, "w") as f:
            f.write(NOTIFY_SCRIPT.format(log=self.events_log))
        os.chmod(self.notify_script, 0o755)
        self.conffile = os.path.join(self.confdir, "upsmon.conf")
        self.wrapconf = os.path.join(self.confdir, "rootwrap.conf")
        self.write_wrap()

    @property
    def env(self):
        return {"NUT_CONFPATH": self.confdir, "NUT_STATEPATH": self.statedir}

    @property
    def shutdowncmd(self):
        return "/usr/bin/touch %s" % self.marker

    def write_wrap(self, extra_filters=""):
        with open(self.wrapconf, "w") as f:
            f.write("[DEFAULT]\nfilters_path=%s\nexec_dirs=/usr/bin,/bin\nuse_syslog=False\n"
                    % self.filters)
        with open(os.path.join(self.filters, "marker.filters"), "w") as f:
            f.write("[Filters]\n# the only command this upsmon may run: touch the marker\n"
                    "marker: RegExpFilter, /usr/bin/touch, root, /usr/bin/touch, %s\n%s"
                    % (re.escape(self.marker), extra_filters))
        for p in (self.wrapconf, os.path.join(self.filters, "marker.filters")):
            os.chmod(p, 0o644)

    def write_conf(self, monitors, shutdowncmd=None, extra="", notifycmd=None,
                   pollfreq=1, hostsync=3, finaldelay=1, deadtime=4, flags="SYSLOG+EXEC"):
        """monitors: list of 'ups@127.0.0.1:port pv user pass role' strings."""
        lines = []
        for m in monitors:
            lines.append("MONITOR %s" % m)
        lines.append('SHUTDOWNCMD "%s"' % (shutdowncmd or self.shutdowncmd))
        lines.append('NOTIFYCMD "%s"' % (notifycmd or self.notify_script))
        lines.append("POWERDOWNFLAG %s" % self.pdflag)
        lines.append("POLLFREQ %d\nPOLLFREQALERT %d" % (pollfreq, pollfreq))
        lines.append("HOSTSYNC %d\nFINALDELAY %d\nDEADTIME %d" % (hostsync, finaldelay, deadtime))
        lines.append("WRAPCONF %s" % self.wrapconf)
        types = ["ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD", "SHUTDOWN",
                 "REPLBATT", "NOCOMM", "NOPARENT", "CAL", "NOTCAL", "OFF", "NOTOFF",
                 "BYPASS", "NOTBYPASS", "ALARM", "NOTALARM", "OTHER", "NOTOTHER",
                 "SHUTDOWN_HOSTSYNC", "OVER", "NOTOVER", "TRIM", "NOTTRIM", "BOOST", "NOTBOOST"]
        for t in types:
            lines.append("NOTIFYFLAG %s %s" % (t, flags))
        lines.append(extra)
        with open(self.conffile, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(self.conffile, 0o600)

    def start(self, procs, args=("-F",), name=None, env=None):
        full = dict(self.env)
        if env:
            full.update(env)
        return procs.start([our_bin("upsmon")] + list(args), env=full, name=name or self.name)

    def events(self):
        with open(self.events_log) as f:
            out = []
            for line in f:
                parts = line.rstrip("\n").split("|", 3)
                if len(parts) == 4:
                    out.append(tuple(parts))
            return out

    def types(self):
        return [e[0] for e in self.events()]

    def wait_event(self, etype, timeout=20.0, count=1):
        return wait_for(lambda: self.types().count(etype) >= count, timeout,
                        what="%s notification (have %s)" % (etype, self.types()))

    def shut_down(self):
        return os.path.exists(self.marker)

    def wait_shutdown(self, timeout=30.0):
        return wait_for(self.shut_down, timeout, what="SHUTDOWNCMD marker %s" % self.marker)

    def cleanup(self):
        shutil.rmtree(self.base, ignore_errors=True)


def children(pid):
    """Direct children of pid (from /proc)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            ppid = int(st.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            out.append(int(d))
    return out


def cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().replace(b"\0", b" ").decode(errors="replace").strip()


def upsmon_parts(priv_pid, timeout=10.0):
    """{'net': pid, 'notify': pid} of a running upsmon [priv]."""
    def find():
        parts = {}
        for c in children(priv_pid):
            t = cmdline(c)
            if t.startswith("upsmon [net]"):
                parts["net"] = c
            elif t.startswith("upsmon [notify]"):
                parts["notify"] = c
        return parts if len(parts) == 2 else None
    return wait_for(find, timeout, what="upsmon [net] and [notify] of pid %d" % priv_pid)


def write_dev(path, status, extra=None):
    """A dummy-ups .dev file (dummy-once re-reads it when its mtime changes)."""
    lines = ["ups.status: %s" % status, "battery.charge: 50", "ups.mfr: upsguard-test"]
    for k, v in (extra or {}).items():
        lines.append("%s: %s" % (k, v))
    old = os.stat(path).st_mtime if os.path.exists(path) else 0
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    t = max(time.time(), old + 1.0)
    os.utime(path, (t, t))


def write_seq(path, steps, hold=3600):
    """A dummy-ups .seq file: steps = [(status, seconds), ...]; the last
    status is held for `hold` seconds so the loop does not restart."""
    with open(path, "w") as f:
        f.write("ups.mfr: upsguard-test\nbattery.charge: 50\n")
        for status, secs in steps:
            f.write("ups.status: %s\nTIMER %d\n" % (status, secs))
        f.write("TIMER %d\n" % hold)


class UpsdServer:
    """NUT's dummy-ups drivers behind either NUT's upsd ("nut") or ours
    ("ours"), in a directory the unprivileged upsd can traverse.
    `files[ups]` is the driver's own copy of the .dev/.seq file."""

    def __init__(self, procs, kind, upses):
        from nut_peer import NutPeer
        self.kind = kind
        self.procs = procs
        self.base = tempfile.mkdtemp(prefix="upsguard-srv-", dir="/tmp")
        os.chmod(self.base, 0o755)
        self.peer = NutPeer(procs, self.base, upses)
        self.files = {u: spec[0] for u, spec in self.peer.upses.items()}
        self.our = None
        self.port = None

    def start(self):
        if self.kind == "nut":
            self.peer.start()
            self.port = self.peer.port
            return self
        from nut_peer import DEFAULT_USERS, write_ups_conf
        from upsd_helpers import OurUpsd
        self.peer.start_drivers()
        ups_conf = os.path.join(self.base, "ours-ups.conf")
        write_ups_conf(ups_conf, self.peer.upses)
        with open(ups_conf) as f:
            text = f.read()
        self.our = OurUpsd(self.procs, self.base, self.peer.dir, text, DEFAULT_USERS)
        self.our.start(wait=list(self.peer.upses))
        self.port = self.our.port
        return self

    def stop_upsd(self):
        (self.peer.upsd if self.kind == "nut" else self.our.proc).stop()

    def restart_upsd(self):
        if self.kind == "nut":
            self.peer.start_upsd(self.port)
        else:
            self.our.start(wait=list(self.peer.upses))

    def cleanup(self):
        shutil.rmtree(self.base, ignore_errors=True)
