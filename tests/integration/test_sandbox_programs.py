"""Least privilege measured from outside, program by program: each
long-running program, started as root, runs with no root uid/gid, no
capabilities, an empty bounding set, no_new_privs and a seccomp filter; and
through the test hook, forbidden actions fail while allowed ones work.
Also the refusals: a missing run-as user, a secrets file readable by others.
"""
import os
import shutil
import subprocess

import pytest

from conftest import free_port, nut_request, our_bin, wait_for, wait_for_port
from sandbox_helpers import (HookServer, assert_allowed, assert_confined, assert_denied,
                             make_open_dir, require_landlock, require_root, standard_forbidden)


@pytest.fixture
def opendir():
    d = make_open_dir()
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def hook(opendir):
    h = HookServer(opendir)
    yield h
    h.close()


class UpsdSetup:
    """Our upsd with a config dir and state dir the run-as user can use."""

    def __init__(self, base, run_user, users="[admin]\n\tpassword = adminpw\n",
                 users_mode=0o640, ups_conf=""):
        self.base = base
        self.etc = os.path.join(base, "etc")
        self.rundir = os.path.join(base, "run")
        os.makedirs(self.etc, exist_ok=True)
        os.makedirs(self.rundir, exist_ok=True)
        os.chmod(self.etc, 0o755)
        os.chown(self.rundir, run_user[1], run_user[2])
        self.port = free_port()
        with open(os.path.join(self.etc, "upsd.conf"), "w") as f:
            f.write("LISTEN 127.0.0.1 %d\nALLOW_NO_DEVICE 1\n" % self.port)
        with open(os.path.join(self.etc, "ups.conf"), "w") as f:
            f.write(ups_conf)
        self.users = os.path.join(self.etc, "upsd.users")
        with open(self.users, "w") as f:
            f.write(users)
        os.chown(self.users, 0, run_user[2])
        os.chmod(self.users, users_mode)
        self.env = {"NUT_CONFPATH": self.etc, "NUT_STATEPATH": self.rundir}

    def start(self, procs, hook=None, args=("-F",)):
        env = dict(self.env)
        if hook:
            env.update(hook.env)
        p = procs.start([our_bin("upsd")] + list(args), env=env, cwd=self.base, name="upsd")
        wait_for_port(self.port)
        return p

    def run(self, args, timeout=20):
        env = dict(os.environ)
        env.update(self.env)
        env.pop("UPSGUARD_TEST_HOOK", None)
        return subprocess.run([our_bin("upsd")] + list(args), env=env, capture_output=True,
                              text=True, timeout=timeout, cwd=self.base)


# ---- upsd ----

def test_upsd_confined(opendir, hook, procs, run_user):
    require_root()
    s = UpsdSetup(opendir, run_user)
    p = s.start(procs, hook)
    conn = hook.wait("upsd")
    assert conn.pid == p.pid
    st = assert_confined(p.pid, "upsd")
    assert st["Uid"].split()[0] == str(run_user[1])
    assert nut_request(s.port, "VER").startswith("Network UPS Tools") or \
        "upsguard" in nut_request(s.port, "VER").lower()


def test_upsd_forbidden_and_allowed_actions(opendir, hook, procs, run_user):
    require_root()
    require_landlock(4)
    s = UpsdSetup(opendir, run_user)
    p = s.start(procs, hook)
    conn = hook.wait("upsd")
    # allowed: its configuration, its own port (in use by itself), TCP sockets
    assert_allowed(conn, "open %s" % os.path.join(s.etc, "upsd.conf"))
    assert conn.ask("bind %d" % s.port) in ("OK", "ERR EADDRINUSE")
    assert_allowed(conn, "socket inet")
    # forbidden
    assert_denied(conn, "write %s" % os.path.join(s.etc, "upsd.conf"))
    assert_denied(conn, "open /etc/passwd")
    standard_forbidden(conn, bound_port=s.port)
    assert p.alive()
    # still serving after all that
    assert nut_request(s.port, "LIST UPS").startswith("BEGIN LIST UPS")


def test_upsd_refuses_missing_run_as_user(opendir, run_user):
    require_root()
    s = UpsdSetup(opendir, run_user)
    r = s.run(["-F", "-u", "no-such-user-upsguard"])
    assert r.returncode != 0
    err = r.stdout + r.stderr
    assert "no-such-user-upsguard" in err and "does not exist" in err, err
    assert "-u" in err


def test_upsd_refuses_world_readable_users_file(opendir, run_user):
    require_root()
    s = UpsdSetup(opendir, run_user, users_mode=0o644)
    r = s.run(["-F"])
    assert r.returncode != 0
    err = r.stdout + r.stderr
    assert "upsd.users" in err and "chmod" in err, err


def test_upsd_refuses_group_writable_users_file(opendir, run_user):
    require_root()
    s = UpsdSetup(opendir, run_user, users_mode=0o660)
    r = s.run(["-F"])
    assert r.returncode != 0
    err = r.stdout + r.stderr
    assert "chmod" in err, err


def test_upsd_help_shows_manifest():
    r = subprocess.run([our_bin("upsd"), "-h"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0
    assert "Sandbox manifest" in r.stdout and "tcp bind:" in r.stdout


# ---- upsweb ----

def start_upsweb(procs, opendir, hook, upsd_port):
    from upsweb_helpers import Upsweb
    w = Upsweb(procs, opendir, [("dummy@127.0.0.1:%d" % upsd_port, "test")],
               env=hook.env)
    os.chmod(w.dir, 0o755)
    w.start()
    return w


def test_upsweb_confined(opendir, hook, procs, run_user):
    require_root()
    s = UpsdSetup(os.path.join(opendir, "upsd"), run_user)
    os.chmod(s.base, 0o755)
    s.start(procs)
    w = start_upsweb(procs, opendir, hook, s.port)
    conn = hook.wait("upsweb")
    assert conn.pid == w.proc.pid
    assert_confined(w.proc.pid, "upsweb")


def test_upsweb_forbidden_and_allowed_actions(opendir, hook, procs, run_user):
    require_root()
    require_landlock(4)
    s = UpsdSetup(os.path.join(opendir, "upsd"), run_user)
    os.chmod(s.base, 0o755)
    s.start(procs)
    w = start_upsweb(procs, opendir, hook, s.port)
    conn = hook.wait("upsweb")
    assert_allowed(conn, "connect 127.0.0.1 %d" % s.port)
    assert conn.ask("bind %d" % w.port) in ("OK", "ERR EADDRINUSE")
    standard_forbidden(conn, bound_port=w.port, connect_port=s.port)
    # the upsd port is the only connect rule: its own HTTP port is not reachable as a client
    assert_denied(conn, "connect 127.0.0.1 %d" % w.port)
    assert w.proc.alive()
    status, _, _ = w.request("GET", "/")
    assert status in (200, 302, 303)


def test_upsweb_refuses_missing_run_as_user(opendir, procs, run_user):
    require_root()
    from upsweb_helpers import Upsweb
    w = Upsweb(procs, opendir, [("dummy@127.0.0.1:%d" % free_port(), "x")])
    os.chmod(w.dir, 0o755)
    r = w.run(["-F", "-u", "no-such-user-upsguard"])
    assert r.returncode != 0
    err = r.stdout + r.stderr
    assert "no-such-user-upsguard" in err and "does not exist" in err, err


def test_upsd_chroot(opendir, hook, procs, run_user):
    """upsd -r DIR: chrooted, its paths (and Landlock rules) resolved inside DIR."""
    require_root()
    root = os.path.join(opendir, "root")
    os.makedirs(root)
    os.chmod(root, 0o755)
    s = UpsdSetup(root, run_user)
    env = {"NUT_CONFPATH": "/etc", "NUT_STATEPATH": "/run"}
    env.update(hook.env)
    p = procs.start([our_bin("upsd"), "-F", "-r", root], env=env, cwd=root, name="upsd")
    wait_for_port(s.port)
    conn = hook.wait("upsd", pid=p.pid)
    assert_confined(p.pid, "upsd -r")
    assert os.readlink("/proc/%d/root" % p.pid) == root
    assert_allowed(conn, "open /etc/upsd.conf")  # DIR/etc/upsd.conf, seen from inside
    assert_denied(conn, "open /etc/shadow", ("ERR ENOENT",))
    assert_denied(conn, "write /etc/upsd.conf")
    assert nut_request(s.port, "LIST UPS").startswith("BEGIN LIST UPS")
