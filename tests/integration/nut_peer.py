"""Debian's NUT 2.8.0 as a real peer: its dummy-ups drivers and its upsd,
started in a test's directory on a free loopback port.

Debian wraps /sbin/upsd and /sbin/upsmon in scripts that read
/etc/nut/nut.conf; the real binaries live in /lib/nut, which is what we
start.  They run with `-u root` so the per-test files need no chown.
"""
import os
import shutil

from conftest import free_port, wait_for_path, wait_for_port, wait_for_ups

NUT_LIB = "/lib/nut"
NUT_UPSD = os.path.join(NUT_LIB, "upsd")
NUT_UPSMON = os.path.join(NUT_LIB, "upsmon")
NUT_DUMMY = os.path.join(NUT_LIB, "dummy-ups")
NUT_UPSC = "/usr/bin/upsc"
NUT_UPSCMD = "/usr/bin/upscmd"
NUT_UPSRW = "/usr/bin/upsrw"
NUT_UPSLOG = "/usr/bin/upslog"

DEFAULT_USERS = """[admin]
  password = secret
  actions = SET FSD
  instcmds = ALL
[monprimary]
  password = pmpass
  upsmon primary
[monsecondary]
  password = smpass
  upsmon secondary
"""


def nut_env(confdir, statedir):
    return {"NUT_CONFPATH": str(confdir), "NUT_STATEPATH": str(statedir)}


def write_ups_conf(path, upses, driver="dummy-ups"):
    """upses: {name: (port, desc or None, extra dict or None)}"""
    with open(path, "w") as f:
        for name, spec in upses.items():
            port, desc, extra = (list(spec) + [None, None])[:3]
            f.write("[%s]\n  driver = %s\n  port = %s\n" % (name, driver, port))
            if desc:
                f.write('  desc = "%s"\n' % desc)
            for k, v in (extra or {}).items():
                f.write("  %s = %s\n" % (k, v))


class NutPeer:
    """NUT's dummy-ups drivers (one per UPS) and optionally NUT's upsd."""

    def __init__(self, procs, workdir, upses, users=DEFAULT_USERS, upsd_extra=""):
        self.procs = procs
        self.dir = os.path.join(str(workdir), "nut")
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.upses = {}
        for name, spec in upses.items():
            spec = list(spec) if isinstance(spec, (list, tuple)) else [spec]
            src = spec[0]
            # dummy-ups resolves relative names against the config dir.
            dst = os.path.join(self.dir, os.path.basename(src))
            if os.path.abspath(src) != os.path.abspath(dst):
                shutil.copy(src, dst)
            spec[0] = dst
            self.upses[name] = spec
        write_ups_conf(os.path.join(self.dir, "ups.conf"), self.upses)
        with open(os.path.join(self.dir, "nut.conf"), "w") as f:
            f.write("MODE=standalone\n")
        with open(os.path.join(self.dir, "upsd.users"), "w") as f:
            f.write(users)
        os.chmod(os.path.join(self.dir, "upsd.users"), 0o640)
        self.upsd_extra = upsd_extra
        self.env = nut_env(self.dir, self.dir)
        self.port = None
        self.drivers = {}
        self.upsd = None

    def socket_path(self, name):
        return os.path.join(self.dir, "dummy-ups-%s" % name)

    def start_drivers(self):
        for name in self.upses:
            self.drivers[name] = self.procs.start(
                [NUT_DUMMY, "-a", name, "-F", "-u", "root"], env=self.env,
                name="nut-dummy-%s" % name)
        for name in self.upses:
            wait_for_path(self.socket_path(name))
        return self

    def start_upsd(self, port=None):
        self.port = port or free_port()
        with open(os.path.join(self.dir, "upsd.conf"), "w") as f:
            f.write("LISTEN 127.0.0.1 %d\nSTATEPATH %s\n%s" % (self.port, self.dir, self.upsd_extra))
        self.upsd = self.procs.start([NUT_UPSD, "-F", "-u", "root"], env=self.env, name="nut-upsd")
        wait_for_port(self.port)
        for name in self.upses:
            if name in self.drivers:
                wait_for_ups(self.port, name)
        return self

    def start(self):
        return self.start_drivers().start_upsd()

    def addr(self, ups):
        return "%s@127.0.0.1:%d" % (ups, self.port)
