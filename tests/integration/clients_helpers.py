"""Helpers for the client tests: running our clients and NUT's side by side,
a fake driver (NUT's driver socket protocol, so both upsds serve the same
ENUM/RANGE variables and any tracking result), our upsd next to NUT's, and a
fake network server that misbehaves on purpose.
"""
import os
import shlex
import shutil
import socket
import subprocess
import threading
import time

from conftest import NUT_BIN, Procs, free_port, our_bin, wait_for, wait_for_path, wait_for_port
from nut_peer import NutPeer

CLIENTS = ("upsc", "upscmd", "upsrw", "upslog")


def open_dir(tag):
    """A fresh directory every user can traverse (pytest's own tree is 0700)."""
    import tempfile
    d = tempfile.mkdtemp(prefix="upsguard-%s-" % tag, dir="/tmp")
    os.chmod(d, 0o755)
    return d


def run(argv, stdin=b"", env=None, timeout=30):
    full = dict(os.environ)
    full.pop("UPSGUARD_PASSWORD", None)
    full.pop("NUT_PASSWORD", None)
    full.pop("UPSGUARD_CREDENTIALS", None)
    if env:
        full.update(env)
    p = subprocess.run([str(a) for a in argv], input=stdin, capture_output=True, env=full,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def ours(prog, *args, **kw):
    return run([our_bin(prog)] + list(args), **kw)


def nut(prog, *args, **kw):
    return run([os.path.join(NUT_BIN, prog)] + list(args), **kw)


def same(prog, *args, **kw):
    """Run our client and NUT's with the same arguments; assert identical
    stdout and exit status; return (rc, stdout, our stderr, nut stderr)."""
    r1 = ours(prog, *args, **kw)
    r2 = nut(prog, *args, **kw)
    assert r1[1] == r2[1], "%s %s: stdout differs\n--- ours\n%s\n--- NUT\n%s\n--- our stderr\n%s" % (
        prog, " ".join(args), r1[1], r2[1], r1[2])
    assert r1[0] == r2[0], "%s %s: exit status %d (ours) vs %d (NUT); stderr ours=%r nut=%r" % (
        prog, " ".join(args), r1[0], r2[0], r1[2], r2[2])
    return r1[0], r1[1], r1[2], r2[2]


# ---------------------------------------------------------------------------
# Fake driver: NUT's driver socket protocol on a Unix socket.

FAKE_VARS = [
    # name, value, flags, aux, enum, ranges
    ("device.mfr", "Fake Inc.", [], None, [], []),
    ("ups.status", "OL", [], None, [], []),
    ("ups.mfr", "Fake \"quoted\" # maker", [], None, [], []),
    ("ups.id", "rack 1", ["RW", "STRING"], 16, [], []),
    ("ups.beeper.status", "enabled", ["RW", "STRING"], 12, ["enabled", "disabled", "muted"], []),
    ("input.sensitivity", "2", ["RW", "NUMBER"], None, ["1", "2", "3"], []),
    ("input.transfer.high", "140", ["RW", "NUMBER"], None, [], [("130", "150"), ("160", "170")]),
    ("input.transfer.low", "95", ["RW", "NUMBER"], None, [], [("80", "90")]),
    ("ups.delay.shutdown", "20", ["RW", "NUMBER"], None, [], []),
    ("ups.delay.start", "30", ["RW", "NUMBER"], None, [], []),
    ("battery.charge", "87", [], None, [], []),
]

# command (or variable for SET) -> driver result code (0 handled, 1 unknown,
# 2 invalid, 3 failed), as in NUT's drivers/upshandler.h
FAKE_RESULTS = {
    "test.battery.start": 0,
    "beeper.disable": 1,
    "beeper.enable": 2,
    "test.battery.stop": 3,
    "load.off": 0,
    "ups.delay.shutdown": 0,
    "ups.delay.start": 3,
    "ups.id": 0,
    "input.transfer.low": 1,
}


def nut_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("#", "\\#") + '"'


class FakeDriver:
    """Serves one UPS on <dir>/<driver>-<ups> for any number of upsd."""

    def __init__(self, path, results=None):
        self.path = path
        self.results = dict(FAKE_RESULTS if results is None else results)
        self.values = {v[0]: v[1] for v in FAKE_VARS}
        self.requests = []
        if os.path.exists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.sock.listen(8)
        self.conns = []
        self.lock = threading.Lock()
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def dump(self):
        out = []
        for name, _, flags, aux, enum, ranges in FAKE_VARS:
            out.append("SETINFO %s %s" % (name, nut_quote(self.values[name])))
            for e in enum:
                out.append("ADDENUM %s %s" % (name, nut_quote(e)))
            for lo, hi in ranges:
                out.append("ADDRANGE %s %s %s" % (name, lo, hi))
            if aux:
                out.append("SETAUX %s %d" % (name, aux))
            if flags:
                out.append("SETFLAGS %s %s" % (name, " ".join(flags)))
        for cmd in ("test.battery.start", "test.battery.stop", "beeper.enable",
                    "beeper.disable", "load.off"):
            out.append("ADDCMD %s" % cmd)
        out += ["DATAOK", "DUMPDONE"]
        return "".join(l + "\n" for l in out)

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _send(self, c, text):
        try:
            c.sendall(text.encode())
        except OSError:
            pass

    def _serve(self, c):
        buf = b""
        while True:
            try:
                chunk = c.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self._handle(c, line.decode(errors="replace"))

    def _handle(self, c, line):
        try:
            words = shlex.split(line, comments=False, posix=True)
        except ValueError:
            return
        if not words:
            return
        self.requests.append(words)
        cmd = words[0]
        if cmd == "DUMPALL":
            self._send(c, self.dump())
        elif cmd == "PING":
            self._send(c, "PONG\n")
        elif cmd == "LOGOUT":
            self._send(c, "OK Goodbye\n")
        elif cmd in ("INSTCMD", "SET"):
            target = words[1]
            tid = words[words.index("TRACKING") + 1] if "TRACKING" in words else None
            result = self.results.get(target, 0)
            if cmd == "SET" and result == 0 and len(words) > 2:
                self.values[target] = words[2]
                self._broadcast("SETINFO %s %s\n" % (target, nut_quote(words[2])))
            if tid:
                self._send(c, "TRACKING %s %d\n" % (tid, result))

    def _broadcast(self, text):
        with self.lock:
            for c in self.conns:
                self._send(c, text)

    def close(self):
        self.stopped = True
        try:
            self.sock.close()
        except OSError:
            pass
        with self.lock:
            for c in self.conns:
                try:
                    c.close()
                except OSError:
                    pass


# ---------------------------------------------------------------------------
# Our upsd next to NUT's, on the same driver sockets.

USERS = """[admin]
  password = secret
  actions = SET FSD
  instcmds = ALL
[monprimary]
  password = pmpass
  upsmon primary
"""


class Servers:
    """NUT's dummy-ups drivers for the given .dev files plus a fake driver
    ('fake'), served by NUT's upsd and, when `with_ours`, by our upsd."""

    def __init__(self, procs, workdir, devs, run_user, with_ours=True):
        self.procs = procs
        upses = dict(devs)
        self.peer = NutPeer(procs, workdir, upses, users=USERS)
        # the fake driver's section: NUT's upsd derives the socket name from it
        with open(os.path.join(self.peer.dir, "ups.conf"), "a") as f:
            f.write("[fake]\n  driver = fakedrv\n  port = none\n  desc = \"Fake UPS\"\n")
        self.fake = None
        self.run_user = run_user
        self.with_ours = with_ours
        self.nut_port = None
        self.our_port = None

    def start(self):
        self.peer.start_drivers()
        self.fake = FakeDriver(os.path.join(self.peer.dir, "fakedrv-fake"))
        # our upsd runs unprivileged: let it reach the driver sockets
        uid, gid = self.run_user[1], self.run_user[2]
        for name in self.peer.upses:
            os.chown(self.peer.socket_path(name), 0, gid)
        self.peer.start_upsd()
        wait_for_ups(self.peer.port, "fake")
        self.nut_port = self.peer.port
        if self.with_ours:
            self._start_ours(uid, gid)
        return self

    def _start_ours(self, uid, gid):
        etc = os.path.join(self.peer.dir, "..", "ours-etc")
        etc = os.path.abspath(etc)
        os.makedirs(etc, exist_ok=True)
        os.chmod(etc, 0o755)
        self.our_port = free_port()
        with open(os.path.join(etc, "upsd.conf"), "w") as f:
            f.write("LISTEN 127.0.0.1 %d\nSTATEPATH %s\n" % (self.our_port, self.peer.dir))
        shutil.copy(os.path.join(self.peer.dir, "ups.conf"), os.path.join(etc, "ups.conf"))
        users = os.path.join(etc, "upsd.users")
        with open(users, "w") as f:
            f.write(USERS)
        os.chown(users, 0, gid)
        os.chmod(users, 0o640)
        env = {"NUT_CONFPATH": etc, "NUT_STATEPATH": self.peer.dir}
        self.ours = self.procs.start([our_bin("upsd"), "-F"], env=env, name="our-upsd")
        wait_for_port(self.our_port)
        for name in list(self.peer.upses) + ["fake"]:
            wait_for_ups(self.our_port, name, timeout=20)

    def ports(self):
        out = [("nut", self.nut_port)]
        if self.with_ours:
            out.append(("ours", self.our_port))
        return out


def wait_for_ups(port, ups, timeout=15.0):
    from conftest import wait_for_ups as w
    return w(port, ups, timeout=timeout)


# ---------------------------------------------------------------------------
# A network server that misbehaves on purpose.

class BadServer:
    """Accepts TCP connections on 127.0.0.1 and answers every request line
    according to `mode`:
      silent    never answers
      longline  a reply line of 100000 bytes
      endless   BEGIN LIST ... then list lines forever
      trickle   one byte every 0.3 s, forever
      garbage   a line with an unterminated quote, then nothing
      wrongecho a reply for another UPS
      close     closes the connection at once
    """

    def __init__(self, mode):
        self.mode = mode
        self.port = free_port()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(16)
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        c.settimeout(30)
        buf = b""
        try:
            while not self.stopped:
                chunk = c.recv(4096)
                if not chunk:
                    return
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if self._answer(c, line.decode(errors="replace").strip()) is False:
                        return
        except OSError:
            return
        finally:
            c.close()

    def _answer(self, c, line):
        words = line.split()
        if not words:
            return True
        if words[0] in ("USERNAME", "PASSWORD", "LOGOUT") and self.mode in ("wrongecho",):
            c.sendall(b"OK\n")
            return True
        m = self.mode
        if m == "silent":
            return True
        if m == "close":
            return False
        if m == "longline":
            c.sendall(b"VAR ups x \"" + b"a" * 100000 + b"\"\n")
            return True
        if m == "garbage":
            c.sendall(b"VAR ups ups.status \"unterminated\n")
            return True
        if m == "wrongecho":
            if words[0] == "LIST":
                c.sendall(("BEGIN LIST %s\n" % " ".join(words[1:])).encode())
                c.sendall(b"VAR otherups ups.status \"OL\"\nEND LIST VAR otherups\n")
            else:
                c.sendall(b"VAR otherups ups.status \"OL\"\n")
            return True
        if m == "endless":
            head = "BEGIN LIST %s\n" % " ".join(words[1:])
            c.sendall(head.encode())
            i = 0
            line = ("%s %s v%%d \"x\"\n" % (words[1] if len(words) > 1 else "VAR",
                                           words[2] if len(words) > 2 else "ups"))
            while not self.stopped:
                chunk = "".join(line % (i + k) for k in range(200))
                i += 200
                c.sendall(chunk.encode())
            return False
        if m == "trickle":
            while not self.stopped:
                c.sendall(b"V")
                time.sleep(0.3)
            return False
        return True

    def close(self):
        self.stopped = True
        self.sock.close()
