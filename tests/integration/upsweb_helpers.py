"""Helpers for upsweb's integration tests: a config directory with
hosts.conf and upsweb.conf, an upsweb process on a free port, and small
HTTP helpers (urllib only, so nothing outside Debian's python3 is needed).
"""
import http.client
import json
import os
import shutil
import subprocess
import time

from conftest import free_port, our_bin, wait_for, wait_for_port

# nut_exporter's forced flag list (--nut.statuses default).
FORCED_FLAGS = ["OL", "OB", "LB", "HB", "RB", "CHRG", "DISCHRG", "BYPASS", "CAL", "OFF",
                "OVER", "TRIM", "BOOST", "FSD", "SD"]


def write_seq(path, steps, final_timer=3600):
    """A dummy-ups .seq file: steps is a list of (dict of variables, seconds)."""
    with open(path, "w") as f:
        for values, secs in steps:
            for k, v in values.items():
                f.write("%s: %s\n" % (k, v))
            f.write("TIMER %d\n" % (secs if secs else final_timer))


ONLINE = {
    "device.mfr": "Acme", "device.model": "Guardian 1500", "device.serial": "AC123",
    "device.type": "ups", "ups.mfr": "Acme", "ups.model": "Guardian 1500",
    "ups.status": "OL CHRG", "battery.charge": "97", "battery.runtime": "2730",
    "battery.voltage": "27.1", "battery.voltage.nominal": "24",
    "input.voltage": "231.5", "input.voltage.nominal": "230", "output.voltage": "229.8",
    "ups.load": "23", "ups.beeper.status": "enabled", "ups.delay.shutdown": "20",
}
ON_BATTERY = {"ups.status": "OB DISCHRG", "battery.charge": "81", "battery.runtime": "1500",
              "input.voltage": "0.0", "ups.load": "25"}


class Upsweb:
    """One upsweb with its own config directory."""

    def __init__(self, procs, workdir, monitors, conf_lines=(), port=None, env=None):
        self.procs = procs
        self.dir = os.path.join(str(workdir), "upsweb")
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.port = port or free_port()
        with open(os.path.join(self.dir, "hosts.conf"), "w") as f:
            for addr, desc in monitors:
                f.write('MONITOR %s "%s"\n' % (addr, desc))
        with open(os.path.join(self.dir, "upsweb.conf"), "w") as f:
            f.write("LISTEN 127.0.0.1 %d\nPOLLFREQ 1\nHISTORY_STEP 1\n" % self.port)
            for line in conf_lines:
                f.write(line + "\n")
        self.env = {"NUT_CONFPATH": self.dir}
        if env:
            self.env.update(env)
        self.proc = None

    def start(self, args=("-F",), wait=True):
        self.proc = self.procs.start([our_bin("upsweb")] + list(args), env=self.env,
                                     name="upsweb")
        if wait:
            wait_for_port(self.port)
        return self

    def run(self, args, timeout=10):
        env = dict(os.environ)
        env.update(self.env)
        return subprocess.run([our_bin("upsweb")] + list(args), env=env, capture_output=True,
                              text=True, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=5):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data
        finally:
            c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def json(self, path):
        status, headers, data = self.get(path)
        assert status == 200, (path, status, data[:300])
        assert headers["content-type"].startswith("application/json")
        return json.loads(data)

    def wait_json(self, path, pred, timeout=20, what=None):
        return wait_for(lambda: (lambda d: d if pred(d) else None)(self.json(path)), timeout,
                        interval=0.2, what=what or path)

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def parse_metrics(text):
    """{(name, frozenset(labels.items())): value} from Prometheus text."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_labels, value = line.rsplit(" ", 1)
        labels = {}
        if "{" in name_labels:
            name, rest = name_labels.split("{", 1)
            rest = rest.rstrip("}")
            for part in split_labels(rest):
                k, v = part.split("=", 1)
                labels[k] = v[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        else:
            name = name_labels
        out[(name, frozenset(labels.items()))] = float(value)
    return out


def split_labels(s):
    parts, cur, inq, esc = [], "", False, False
    for ch in s:
        if esc:
            cur += ch
            esc = False
        elif ch == "\\":
            cur += ch
            esc = True
        elif ch == '"':
            cur += ch
            inq = not inq
        elif ch == "," and not inq:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        parts.append(cur)
    return parts


def metric(metrics, name, **labels):
    for (n, ls), v in metrics.items():
        if n == name and all((k, val) in ls for k, val in labels.items()):
            return v
    return None


def promtool():
    return shutil.which("promtool")


class OurStack:
    """Our dummy-ups drivers and our upsd (dropping to the run-as user), in
    a directory that user owns; files with secrets are root:<group> 0640."""

    def __init__(self, procs, open_dir, upses, run_user, users=None):
        """open_dir: a directory the run-as user can reach (pytest's base
        directory is 0700 root, which Landlock rules cannot open)."""
        from nut_peer import DEFAULT_USERS
        name, uid, gid = run_user
        self.procs = procs
        self.dir = os.path.join(str(open_dir), "ours")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        with open(os.path.join(self.dir, "ups.conf"), "w") as f:
            for ups, (src, desc) in upses.items():
                dst = os.path.join(self.dir, os.path.basename(src))
                if os.path.abspath(src) != dst:
                    shutil.copy(src, dst)
                f.write('[%s]\n  driver = dummy-ups\n  port = %s\n  desc = "%s"\n'
                        % (ups, os.path.basename(src), desc))
        with open(os.path.join(self.dir, "upsd.conf"), "w") as f:
            f.write("LISTEN 127.0.0.1 %d\n" % self.port)
        users_path = os.path.join(self.dir, "upsd.users")
        with open(users_path, "w") as f:
            f.write(users or DEFAULT_USERS)
        for n in os.listdir(self.dir):
            os.chown(os.path.join(self.dir, n), uid, gid)
            os.chmod(os.path.join(self.dir, n), 0o644)
        os.chown(users_path, 0, gid)
        os.chmod(users_path, 0o640)
        os.chown(self.dir, uid, gid)
        os.chmod(self.dir, 0o755)
        self.env = {"NUT_CONFPATH": self.dir, "NUT_STATEPATH": self.dir}
        self.upses = list(upses)

    def start(self):
        from conftest import wait_for_path, wait_for_ups
        for ups in self.upses:
            self.procs.start([our_bin("dummy-ups"), "-a", ups, "-F"], env=self.env,
                             name="our-dummy-%s" % ups)
        for ups in self.upses:
            wait_for_path(os.path.join(self.dir, "dummy-ups-%s" % ups))
        self.upsd = self.procs.start([our_bin("upsd"), "-F"], env=self.env, name="our-upsd")
        wait_for_port(self.port)
        for ups in self.upses:
            wait_for_ups(self.port, ups)
        return self

    def addr(self, ups):
        return "%s@127.0.0.1:%d" % (ups, self.port)
