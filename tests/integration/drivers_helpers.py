"""Helpers for the drivers area tests: a line-oriented NUT protocol session,
a raw driver-socket client, and a mixed set-up where NUT's upsd serves NUT's
dummy-ups drivers and ours side by side from one ups.conf."""
import os
import shutil
import socket
import time

from conftest import (free_port, our_bin, wait_for, wait_for_path, wait_for_port,
                      wait_for_ups)
from nut_peer import DEFAULT_USERS, NUT_DUMMY, NUT_UPSD, nut_env


class Session:
    """One persistent connection to a upsd; request() returns one reply line,
    list_() the lines between BEGIN and END."""

    def __init__(self, port, host="127.0.0.1", timeout=5.0):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.s.close()

    def _line(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace")

    def request(self, line):
        self.s.sendall(line.encode() + b"\n")
        return self._line()

    def list_(self, what):
        first = self.request("LIST " + what)
        if first.startswith("ERR"):
            return [first]
        assert first.startswith("BEGIN LIST"), first
        out = []
        while True:
            l = self._line()
            if l.startswith("END LIST"):
                return out
            out.append(l)


class DriverSocket:
    """A raw client of a driver's Unix socket."""

    def __init__(self, path, timeout=5.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def send(self, line):
        self.s.sendall(line.encode() + b"\n")

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("driver closed the connection")
            self.buf += chunk
        l, self.buf = self.buf.split(b"\n", 1)
        return l.decode(errors="replace")

    def until(self, pred, limit=100000):
        """Lines up to and including the first for which pred is true."""
        out = []
        for _ in range(limit):
            l = self.line()
            out.append(l)
            if pred(l):
                return out
        raise AssertionError("no matching line in %d lines" % limit)

    def dump(self):
        self.send("DUMPALL")
        return self.until(lambda l: l == "DUMPDONE")

    def closed(self, timeout=3.0):
        """True when the driver closes the connection within timeout."""
        self.s.settimeout(timeout)
        try:
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    return True
        except (socket.timeout, TimeoutError):
            return False
        except OSError:
            return True

    def close(self):
        self.s.close()


def write_ups_conf(path, sections, glob=""):
    """sections: {name: {key: value}} written in order; values quoted."""
    with open(path, "w") as f:
        f.write(glob)
        for name, keys in sections.items():
            f.write("[%s]\n" % name)
            for k, v in keys.items():
                if v is None:
                    f.write("  %s\n" % k)
                else:
                    f.write('  %s = "%s"\n' % (k, str(v).replace("\\", "\\\\").replace('"', '\\"')))


def our_driver(procs, confdir, ups, extra=(), env=None, name=None):
    e = nut_env(confdir, confdir)
    if env:
        e.update(env)
    return procs.start([our_bin("dummy-ups"), "-a", ups, "-F"] + list(extra), env=e,
                       name=name or "our-dummy-%s" % ups)


class Mixed:
    """NUT's upsd in `dir` serving UPS sections driven by NUT's dummy-ups
    (names in `nut`) and by ours (names in `ours`), from one ups.conf."""

    def __init__(self, procs, workdir, nut, ours, users=DEFAULT_USERS, our_args=("-u", "root")):
        self.procs = procs
        self.dir = os.path.join(str(workdir), "mixed")
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.nut = dict(nut)    # name -> ups.conf keys
        self.ours = dict(ours)
        write_ups_conf(os.path.join(self.dir, "ups.conf"), {**self.nut, **self.ours})
        with open(os.path.join(self.dir, "upsd.users"), "w") as f:
            f.write(users)
        os.chmod(os.path.join(self.dir, "upsd.users"), 0o640)
        self.env = nut_env(self.dir, self.dir)
        self.our_args = list(our_args)
        self.port = None

    def copy(self, src):
        dst = os.path.join(self.dir, os.path.basename(src))
        shutil.copy(src, dst)
        os.chmod(dst, 0o644)
        return os.path.basename(src)

    def start(self):
        for name in self.nut:
            self.procs.start([NUT_DUMMY, "-a", name, "-F", "-u", "root"], env=self.env,
                             name="nut-dummy-%s" % name)
        for name in self.ours:
            our_driver(self.procs, self.dir, name, self.our_args)
        for name in list(self.nut) + list(self.ours):
            wait_for_path(os.path.join(self.dir, "dummy-ups-%s" % name), timeout=20)
        self.port = free_port()
        with open(os.path.join(self.dir, "upsd.conf"), "w") as f:
            f.write("LISTEN 127.0.0.1 %d\nSTATEPATH %s\nMAXAGE 60\n" % (self.port, self.dir))
        self.procs.start([NUT_UPSD, "-F", "-u", "root"], env=self.env, name="nut-upsd")
        wait_for_port(self.port)
        for name in list(self.nut) + list(self.ours):
            wait_for_ups(self.port, name, timeout=30)
        return self
