"""Shared fixtures for the integration tests.

Every test starts its own programs on loopback ports it picks, in a
temporary directory, and every program started through `procs` is stopped
by process id at teardown, whatever the outcome.  Area-specific helpers
live in their own modules (e.g. upsd_helpers.py) next to the tests.
"""
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("UPSGUARD_BUILD", os.path.join(REPO, "build"))
SHARED = os.path.join(os.path.dirname(REPO), "shared")
DDL_DIR = os.path.join(SHARED, "data", "ddl")

# Debian's NUT 2.8.0, the real peer.
NUT_UPSD = "/lib/nut/upsd"  # the real binary; /sbin/upsd is a nut.conf wrapper
NUT_DRIVER_DIR = "/lib/nut"
NUT_BIN = "/usr/bin"


def our_bin(name):
    """Path of one of our programs in the build tree (fails loudly if absent)."""
    for sub in ("upsd", "drivers", "clients", "upsmon", "upswrap", "upsweb", "tools", ""):
        p = os.path.join(BUILD, "src", sub, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    raise FileNotFoundError("%s not built under %s" % (name, BUILD))


def nut_driver(name):
    return os.path.join(NUT_DRIVER_DIR, name)


def nut_bin(name):
    return os.path.join(NUT_BIN, name)


def free_port():
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            v = pred()
            if v:
                return v
        except OSError:
            pass
        time.sleep(interval)
    raise TimeoutError("timed out waiting for %s" % what)


def wait_for_port(port, host="127.0.0.1", timeout=10.0):
    def probe():
        with socket.create_connection((host, port), timeout=0.5):
            return True
    return wait_for(probe, timeout, what="%s:%d to accept" % (host, port))


def nut_request(port, line, host="127.0.0.1", timeout=2.0):
    """Send one protocol line, return the first reply line (no newline)."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(line.encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        return buf.decode(errors="replace").rstrip("\n")


def nut_list(port, ups, what="VAR", host="127.0.0.1", timeout=3.0):
    """LIST <what> <ups> over a raw socket; returns the reply lines between
    BEGIN and END, or the single ERR line as a one-element list."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(("LIST %s %s\n" % (what, ups)).encode())
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            text = buf.decode(errors="replace")
            if text.startswith("ERR") and text.endswith("\n"):
                return [text.strip()]
            if "\nEND LIST" in text and text.endswith("\n"):
                break
        lines = buf.decode(errors="replace").splitlines()
        return [l for l in lines if not l.startswith(("BEGIN LIST", "END LIST"))]


def wait_for_ups(port, ups, host="127.0.0.1", timeout=15.0):
    """Wait until a upsd (ours or NUT's) serves the device's own data for
    `ups`: some variable beyond the driver.* ones the driver sets first."""
    def ready():
        lines = nut_list(port, ups, "VAR", host)
        return any(l.startswith("VAR") and " driver." not in l and "\"WAIT\"" not in l
                   for l in lines)
    return wait_for(ready, timeout, what="data for %s on port %d" % (ups, port))


def wait_for_path(path, timeout=10.0):
    return wait_for(lambda: os.path.exists(path), timeout, what=path)


class Proc:
    """A started program whose output goes to files in the test directory."""

    def __init__(self, argv, cwd, env=None, name=None):
        self.argv = [str(a) for a in argv]
        self.name = name or os.path.basename(self.argv[0])
        self.out_path = os.path.join(cwd, "%s.%d.out" % (self.name, id(self)))
        self.err_path = os.path.join(cwd, "%s.%d.err" % (self.name, id(self)))
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        self.out = open(self.out_path, "wb")
        self.err = open(self.err_path, "wb")
        self.p = subprocess.Popen(self.argv, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
                                  stdout=self.out, stderr=self.err, start_new_session=True)
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def output(self):
        if not self.out.closed:
            self.out.flush()
            self.err.flush()
        with open(self.out_path, "rb") as f1, open(self.err_path, "rb") as f2:
            return f1.read().decode(errors="replace") + f2.read().decode(errors="replace")

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, timeout=5.0):
        """SIGTERM, then SIGKILL, by process id (and its process group,
        which holds the children it forked, such as upsmon's parts)."""
        if self.alive():
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout)
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.out.close()
        self.err.close()
        return self.p.returncode


class Procs:
    def __init__(self, workdir):
        self.workdir = str(workdir)
        self.started = []

    def start(self, argv, env=None, cwd=None, name=None):
        p = Proc(argv, cwd or self.workdir, env, name)
        self.started.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.started):
            p.stop()


@pytest.fixture
def workdir(tmp_path):
    """A temporary directory readable by unprivileged users too, since
    daemons under test may drop root."""
    os.chmod(tmp_path, 0o755)
    return tmp_path


@pytest.fixture
def procs(workdir, request):
    ps = Procs(workdir)
    yield ps
    ps.stop_all()
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        for p in ps.started:
            print("---- %s %s\n%s" % (p.name, p.argv, p.output()[-4000:]))


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def have(cmd):
    return shutil.which(cmd) is not None


RUN_USER = "upsguard"


@pytest.fixture(scope="session")
def run_user():
    """The unprivileged run-as user (build default 'upsguard'), created as a
    system user when the tests run as root and it does not exist yet.
    Returns (name, uid, gid)."""
    import pwd
    try:
        pw = pwd.getpwnam(RUN_USER)
    except KeyError:
        if os.geteuid() != 0:
            pytest.fail("user %s is missing and the tests do not run as root" % RUN_USER)
        subprocess.run(["useradd", "--system", "--no-create-home", "--user-group",
                        "--shell", "/usr/sbin/nologin", RUN_USER], check=True)
        pw = pwd.getpwnam(RUN_USER)
    return (pw.pw_name, pw.pw_uid, pw.pw_gid)
