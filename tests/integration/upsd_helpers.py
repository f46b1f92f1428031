"""Helpers for upsd's integration tests: start our upsd next to NUT's on the
same driver sockets, a fake driver we fully control, and a raw protocol
session that can tell a reply apart from no reply."""
import os
import pwd
import shutil
import tempfile
import socket
import socketserver
import threading
import time

from conftest import free_port, our_bin, wait_for, wait_for_port, wait_for_ups

import pytest

RUN_USER = "upsguard"


@pytest.fixture
def opendir(run_user):
    """A directory under /tmp the unprivileged upsd can traverse (pytest's
    base directory is 0700 root, and Landlock opens paths after the drop)."""
    d = tempfile.mkdtemp(prefix="upsguard-upsd-", dir="/tmp")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def write_users(path, text):
    """upsd.users readable by root and the run-as group only."""
    with open(path, "w") as f:
        f.write(text)
    pw = pwd.getpwnam(RUN_USER)
    os.chown(path, 0, pw.pw_gid)
    os.chmod(path, 0o640)


def share_sockets(statedir):
    """Let the unprivileged upsd connect to drivers that run as root."""
    pw = pwd.getpwnam(RUN_USER)
    for name in os.listdir(statedir):
        p = os.path.join(statedir, name)
        if name.startswith("dummy-ups-") and not name.endswith(".pid"):
            try:
                os.chown(p, pw.pw_uid, pw.pw_gid)
            except FileNotFoundError:
                pass


class OurUpsd:
    """Our upsd over a state directory (NUT's drivers or ours)."""

    def __init__(self, procs, workdir, statedir, ups_conf_text, users, conf_extra="",
                 listen=None, name="upsd"):
        self.procs = procs
        self.dir = os.path.join(str(workdir), name)
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.statedir = statedir
        self.port = free_port()
        with open(os.path.join(self.dir, "ups.conf"), "w") as f:
            f.write(ups_conf_text)
        write_users(os.path.join(self.dir, "upsd.users"), users)
        if listen is None:
            listen = "LISTEN 127.0.0.1 %d\n" % self.port
        with open(os.path.join(self.dir, "upsd.conf"), "w") as f:
            f.write(listen + conf_extra)
        self.env = {"NUT_CONFPATH": self.dir, "NUT_STATEPATH": statedir}
        self.proc = None

    def start(self, args=(), wait=()):
        share_sockets(self.statedir)
        self.proc = self.procs.start([our_bin("upsd"), "-F"] + list(args), env=self.env,
                                     name="our-upsd")
        wait_for_port(self.port)
        for ups in wait:
            wait_for_ups(self.port, ups)
        return self

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


class Session:
    """A raw protocol connection.  ask() sends one request followed by a
    sentinel request and returns the reply lines before the sentinel's, so
    a request that gets no reply at all is seen as [] without waiting."""

    SENTINEL = b"GET VAR zzsentinel server.info\n"

    def __init__(self, port, host="127.0.0.1", timeout=5.0, sock=None):
        self.s = sock or socket.create_connection((host, port), timeout=timeout)
        self.s.settimeout(timeout)
        self.buf = b""

    def readline(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace")

    def send(self, raw):
        if isinstance(raw, str):
            raw = raw.encode()
        self.s.sendall(raw)

    def ask(self, line):
        raw = line if isinstance(line, bytes) else line.encode()
        self.send(raw + b"\n" + self.SENTINEL)
        out = []
        while True:
            ln = self.readline()
            if ln.startswith("VAR zzsentinel server.info "):
                return out
            out.append(ln)

    def cmd(self, line):
        """One request, one reply line (or a whole list)."""
        self.send(line + "\n")
        first = self.readline()
        if not first.startswith("BEGIN LIST"):
            return first
        lines = [first]
        while not lines[-1].startswith("END LIST"):
            lines.append(self.readline())
        return lines

    def close(self):
        self.s.close()


class FakeDriver:
    """A driver socket speaking NUT's sock protocol, fully scripted: a tree
    with enums, ranges, odd values and commands; SET/INSTCMD answered with
    TRACKING results; it can go silent (stale) or report DATASTALE."""

    def __init__(self, path):
        self.path = path
        self.vars = {}  # name -> dict(value, flags, aux, enums, ranges)
        self.cmds = []
        self.silent = False
        self.received = []
        self.conns = []
        self.lock = threading.Lock()
        self.server = None

    def var(self, name, value, flags=(), aux=None, enums=(), ranges=()):
        self.vars[name] = dict(value=value, flags=list(flags), aux=aux, enums=list(enums),
                               ranges=list(ranges))
        return self

    @staticmethod
    def q(v):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("#", "\\#") + '"'

    def dump(self):
        out = []
        for name in sorted(self.vars, key=str.lower):
            v = self.vars[name]
            out.append("SETINFO %s %s" % (name, self.q(v["value"])))
            for e in v["enums"]:
                out.append("ADDENUM %s %s" % (name, self.q(e)))
            for lo, hi in v["ranges"]:
                out.append("ADDRANGE %s %d %d" % (name, lo, hi))
            if v["aux"] is not None:
                out.append("SETAUX %s %d" % (name, v["aux"]))
            if v["flags"]:
                out.append("SETFLAGS %s %s" % (name, " ".join(v["flags"])))
        for c in sorted(self.cmds, key=str.lower):
            out.append("ADDCMD %s" % c)
        out.append("DATAOK")
        out.append("DUMPDONE")
        return "".join(l + "\n" for l in out).encode()

    def broadcast(self, line):
        with self.lock:
            for c in list(self.conns):
                try:
                    c.sendall(line.encode() + b"\n")
                except OSError:
                    pass

    def handle_line(self, conn, words):
        if not words:
            return
        self.received.append(words)
        cmd = words[0].upper()
        if self.silent:
            return
        if cmd == "DUMPALL":
            conn.sendall(self.dump())
        elif cmd == "PING":
            conn.sendall(b"PONG\n")
        elif cmd == "SET" and len(words) >= 3:
            name, value = words[1], words[2]
            if name in self.vars:
                self.vars[name]["value"] = value
                self.broadcast("SETINFO %s %s" % (name, self.q(value)))
            if len(words) >= 5 and words[3] == "TRACKING":
                conn.sendall(("TRACKING %s 0\n" % words[4]).encode())
        elif cmd == "INSTCMD" and len(words) >= 2:
            tid = None
            if "TRACKING" in words:
                tid = words[words.index("TRACKING") + 1]
            if tid:
                result = 3 if words[1].startswith("fail") else 0
                conn.sendall(("TRACKING %s %d\n" % (tid, result)).encode())

    def start(self):
        fake = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                with fake.lock:
                    fake.conns.append(self.request)
                buf = b""
                try:
                    while True:
                        chunk = self.request.recv(4096)
                        if not chunk:
                            break
                        buf += chunk
                        while b"\n" in buf:
                            line, buf = buf.split(b"\n", 1)
                            fake.handle_line(self.request, split_words(line.decode()))
                except OSError:
                    pass
                finally:
                    with fake.lock:
                        if self.request in fake.conns:
                            fake.conns.remove(self.request)

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        if os.path.exists(self.path):
            os.unlink(self.path)
        self.server = Server(self.path, Handler)
        os.chmod(self.path, 0o666)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            with self.lock:
                for c in self.conns:
                    try:
                        c.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            self.server = None


def split_words(line):
    """NUT word rules, enough for what upsd sends a driver."""
    words, cur, i, inq, have = [], "", 0, False, False
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            cur += line[i + 1]
            have = True
            i += 2
            continue
        if inq:
            if ch == '"':
                inq = False
            else:
                cur += ch
        elif ch == '"':
            inq = True
            have = True
        elif ch in " \t\r":
            if have:
                words.append(cur)
            cur, have = "", False
        else:
            cur += ch
            have = True
        i += 1
    if have:
        words.append(cur)
    return words


def wait_until(pred, timeout=10.0, what="condition"):
    return wait_for(pred, timeout, what=what)


def sleep_until(t):
    d = t - time.monotonic()
    if d > 0:
        time.sleep(d)
