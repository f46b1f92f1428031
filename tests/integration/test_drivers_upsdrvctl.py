"""upsdrvctl: start three drivers as the unprivileged run-as user, stop
them, shut them down in sdorder, refuse what would run a driver as root."""
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import our_bin, wait_for
from drivers_helpers import DriverSocket, write_ups_conf

DEV = "ups.status: OL\nbattery.charge: 100\n"


@pytest.fixture
def ctldir(run_user):
    """State and config directory owned by the run-as user, reachable by it."""
    name, uid, gid = run_user
    d = tempfile.mkdtemp(prefix="upsguard-ctl-")
    os.chmod(d, 0o755)
    os.chown(d, uid, gid)
    with open(os.path.join(d, "u.dev"), "w") as f:
        f.write(DEV)
    yield d
    # whatever the outcome, stop what the pid files name (by pid)
    for fn in os.listdir(d):
        if fn.endswith(".pid"):
            try:
                with open(os.path.join(d, fn)) as f:
                    os.kill(int(f.read()), 15)
            except (OSError, ValueError):
                pass
    shutil.rmtree(d, ignore_errors=True)


def ctl(d, *args, timeout=30):
    return subprocess.run([our_bin("upsdrvctl")] + list(args), capture_output=True, text=True,
                          timeout=timeout,
                          env=dict(os.environ, NUT_CONFPATH=d, NUT_STATEPATH=d))


def uid_of(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"^Uid:\s+(\d+)", f.read(), re.M).group(1))


def pids(d, names):
    out = {}
    for n in names:
        with open(os.path.join(d, "dummy-ups-%s.pid" % n)) as f:
            out[n] = int(f.read())
    return out


def test_start_three_as_user_then_stop(ctldir, run_user):
    name, uid, gid = run_user
    assert os.geteuid() == 0, "this test starts drivers as root and needs them to drop"
    write_ups_conf(os.path.join(ctldir, "ups.conf"), {
        "a": {"driver": "dummy-ups", "port": "u.dev"},
        "b": {"driver": "dummy-ups", "port": "u.dev", "user": name},
        "c": {"driver": "dummy-ups", "port": "u.dev", "maxstartdelay": "10"},
    }, glob="user = %s\nmaxretry = 2\nretrydelay = 1\n" % name)
    r = ctl(ctldir, "-t")
    assert r.returncode == 0, r.stderr
    r = ctl(ctldir, "start")
    assert r.returncode == 0, r.stderr
    ps = pids(ctldir, "abc")
    for n, pid in ps.items():
        assert uid_of(pid) == uid, "driver %s runs as uid %d" % (n, uid_of(pid))
        s = DriverSocket(os.path.join(ctldir, "dummy-ups-%s" % n))
        s.send("PING")
        assert s.line() == "PONG"
        s.close()
    # one UPS
    r = ctl(ctldir, "stop", "b")
    assert r.returncode == 0, r.stderr
    wait_for(lambda: not os.path.exists("/proc/%d" % ps["b"]), what="driver b to exit")
    assert os.path.exists("/proc/%d" % ps["a"])
    r = ctl(ctldir, "start", "b")
    assert r.returncode == 0, r.stderr
    r = ctl(ctldir, "stop")
    assert r.returncode == 0, r.stderr
    for pid in pids_gone(ctldir, ps):
        pass
    assert not any(f.endswith(".pid") for f in os.listdir(ctldir))
    assert not any(f.startswith("dummy-ups-") for f in os.listdir(ctldir))
    # stopping what is not running says so
    r = ctl(ctldir, "stop", "a")
    assert r.returncode != 0 and "no driver running" in r.stderr


def pids_gone(d, ps):
    for pid in ps.values():
        wait_for(lambda: not os.path.exists("/proc/%d" % pid), what="pid %d to exit" % pid)
    return []


def test_refuses_root_unless_named(ctldir, run_user):
    name, uid, gid = run_user
    # uid 0 under another name: would be root without saying so
    write_ups_conf(os.path.join(ctldir, "ups.conf"), {
        "r": {"driver": "dummy-ups", "port": "u.dev", "user": "0"}})
    r = ctl(ctldir, "start")
    assert r.returncode != 0
    assert "[r]" in r.stderr and ("root" in r.stderr or "uid 0" in r.stderr)
    assert not os.path.exists(os.path.join(ctldir, "dummy-ups-r.pid"))
    r = ctl(ctldir, "-t")
    assert r.returncode != 0
    # a user that does not exist is refused, not replaced by root
    write_ups_conf(os.path.join(ctldir, "ups.conf"), {
        "r": {"driver": "dummy-ups", "port": "u.dev", "user": "no-such-user-xyz"}})
    r = ctl(ctldir, "start")
    assert r.returncode != 0 and "does not exist" in r.stderr
    assert not os.path.exists(os.path.join(ctldir, "dummy-ups-r.pid"))
    # explicit root is honoured, with a warning
    write_ups_conf(os.path.join(ctldir, "ups.conf"), {
        "r": {"driver": "dummy-ups", "port": "u.dev", "user": "root"}})
    r = ctl(ctldir, "start")
    assert r.returncode == 0, r.stderr
    assert "as root" in r.stderr
    with open(os.path.join(ctldir, "dummy-ups-r.pid")) as f:
        assert uid_of(int(f.read())) == 0
    assert ctl(ctldir, "stop").returncode == 0


def test_shutdown_order_and_failures(ctldir, run_user):
    name, uid, gid = run_user
    write_ups_conf(os.path.join(ctldir, "ups.conf"), {
        "late": {"driver": "dummy-ups", "port": "u.dev", "sdorder": "2"},
        "never": {"driver": "dummy-ups", "port": "u.dev", "sdorder": "-1"},
        "early": {"driver": "dummy-ups", "port": "u.dev", "sdorder": "1"},
    }, glob="user = %s\n" % name)
    r = ctl(ctldir, "shutdown")
    assert r.returncode == 0, r.stderr
    order = re.findall(r"\[(\w+)\]: load powered off", r.stderr)
    assert order == ["early", "late"]
    # a driver that cannot start: exit status and message, with retries
    write_ups_conf(os.path.join(ctldir, "ups.conf"), {
        "bad": {"driver": "dummy-ups", "port": "missing.dev"}},
        glob="user = %s\nmaxretry = 2\nretrydelay = 1\n" % name)
    r = ctl(ctldir, "start")
    assert r.returncode != 0
    assert r.stderr.count("failed") >= 2 and "missing.dev" in r.stderr
    # an unknown UPS
    r = ctl(ctldir, "start", "nosuch")
    assert r.returncode != 0 and "nosuch" in r.stderr


def test_as_unprivileged_caller(ctldir, run_user):
    """upsdrvctl itself run by the unprivileged user (as the shipped unit
    does): drivers run as that user."""
    name, uid, gid = run_user
    write_ups_conf(os.path.join(ctldir, "ups.conf"), {
        "x": {"driver": "dummy-ups", "port": "u.dev"}})
    os.chmod(os.path.join(ctldir, "ups.conf"), 0o644)
    def demote():
        os.setgid(gid)
        os.setuid(uid)
    env = dict(os.environ, NUT_CONFPATH=ctldir, NUT_STATEPATH=ctldir)
    r = subprocess.run([our_bin("upsdrvctl"), "start"], capture_output=True, text=True,
                       timeout=30, env=env, preexec_fn=demote)
    assert r.returncode == 0, r.stderr
    pid = pids(ctldir, ["x"])["x"]
    assert uid_of(pid) == uid
    r = subprocess.run([our_bin("upsdrvctl"), "stop"], capture_output=True, text=True,
                       timeout=30, env=env, preexec_fn=demote)
    assert r.returncode == 0, r.stderr


def test_sdcommands(ctldir, run_user):
    name, uid, gid = run_user
    write_ups_conf(os.path.join(ctldir, "ups.conf"), {
        "s": {"driver": "dummy-ups", "port": "u.dev", "sdcommands": "no.such.cmd,load.off"},
        "f": {"driver": "dummy-ups", "port": "u.dev", "sdcommands": "no.such.cmd"},
    }, glob="user = %s\n" % name)
    r = ctl(ctldir, "shutdown", "s")
    assert r.returncode == 0, r.stderr
    assert "no.such.cmd: not handled" in r.stderr and "load.off: done" in r.stderr
    r = ctl(ctldir, "shutdown", "f")
    assert r.returncode != 0 and "not powered off" in r.stderr
