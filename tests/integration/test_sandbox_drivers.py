"""The driver (dummy-ups) measured from outside: confined after start as
root, forbidden actions refused through the test hook, refusal when the
run-as user does not exist, and our upsd serving it across both sandboxes."""
import os
import shutil
import subprocess
import time

import pytest

from conftest import DDL_DIR, free_port, nut_list, our_bin, wait_for_path, wait_for_port, wait_for_ups
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


def first_dev():
    return os.path.join(DDL_DIR, sorted(f for f in os.listdir(DDL_DIR) if f.endswith(".dev"))[0])


class DriverSetup:
    def __init__(self, base, run_user, section_extra="", ups="ups1", port=None):
        self.base = base
        self.etc = os.path.join(base, "etc")
        self.rundir = os.path.join(base, "run")
        os.makedirs(self.etc, exist_ok=True)
        os.makedirs(self.rundir, exist_ok=True)
        os.chmod(self.etc, 0o755)
        os.chown(self.rundir, run_user[1], run_user[2])
        self.ups = ups
        if port is None:
            shutil.copy(first_dev(), os.path.join(self.etc, "ups1.dev"))
            os.chmod(os.path.join(self.etc, "ups1.dev"), 0o644)
            port = "ups1.dev"
        with open(os.path.join(self.etc, "ups.conf"), "w") as f:
            f.write("[%s]\n\tdriver = dummy-ups\n\tport = %s\n%s" % (ups, port, section_extra))
        self.env = {"NUT_CONFPATH": self.etc, "NUT_STATEPATH": self.rundir}

    @property
    def sockpath(self):
        return os.path.join(self.rundir, "dummy-ups-%s" % self.ups)

    def start(self, procs, hook=None, args=()):
        env = dict(self.env)
        if hook:
            env.update(hook.env)
        p = procs.start([our_bin("dummy-ups"), "-a", self.ups, "-F"] + list(args), env=env,
                        cwd=self.base, name="dummy-ups")
        wait_for_path(self.sockpath)
        return p

    def start_upsd(self, procs):
        """Our upsd on a free loopback port, serving this driver: returns
        (process, port) once the UPS is there."""
        port = free_port()
        with open(os.path.join(self.etc, "upsd.conf"), "w") as f:
            f.write("LISTEN 127.0.0.1 %d\n" % port)
        users = os.path.join(self.etc, "upsd.users")
        open(users, "w").close()
        os.chmod(users, 0o600)
        p = procs.start([our_bin("upsd"), "-F"], env=self.env, cwd=self.base, name="upsd")
        wait_for_port(port)
        wait_for_ups(port, self.ups)
        return p, port

    def run(self, args, timeout=20):
        env = dict(os.environ)
        env.update(self.env)
        env.pop("UPSGUARD_TEST_HOOK", None)
        return subprocess.run([our_bin("dummy-ups")] + list(args), env=env, capture_output=True,
                              text=True, timeout=timeout, cwd=self.base)


def test_dummy_ups_confined(opendir, procs, run_user):
    require_root()
    d = DriverSetup(opendir, run_user)
    p = d.start(procs)
    st = assert_confined(p.pid, "dummy-ups")
    assert st["Uid"].split()[0] == str(run_user[1])


def test_dummy_ups_forbidden_and_allowed_actions(opendir, hook, procs, run_user):
    require_root()
    require_landlock(4)
    d = DriverSetup(opendir, run_user)
    p = d.start(procs, hook)
    conn = hook.wait("driver", pid=p.pid)
    assert_allowed(conn, "open %s" % os.path.join(d.etc, "ups1.dev"))
    assert_denied(conn, "write %s" % os.path.join(d.etc, "ups1.dev"))
    assert_denied(conn, "open /etc/passwd")
    # a driver has no network at all
    assert_denied(conn, "connect 127.0.0.1 %d" % free_port(), ("ERR EAFNOSUPPORT",))
    standard_forbidden(conn)
    assert p.alive()


def test_dummy_ups_refuses_missing_user_option(opendir, run_user):
    require_root()
    d = DriverSetup(opendir, run_user)
    r = d.run(["-a", "ups1", "-F", "-u", "no-such-user-upsguard"])
    assert r.returncode != 0
    err = r.stdout + r.stderr
    assert "no-such-user-upsguard" in err and "does not exist" in err, err


def test_dummy_ups_refuses_missing_user_directive(opendir, run_user):
    require_root()
    d = DriverSetup(opendir, run_user, section_extra="\tuser = no-such-user-upsguard\n")
    r = d.run(["-a", "ups1", "-F"])
    assert r.returncode != 0
    err = r.stdout + r.stderr
    assert "no-such-user-upsguard" in err and "user =" in err, err


def test_upsd_serves_sandboxed_driver(opendir, procs, run_user):
    """Both sides sandboxed: upsd (Landlock, seccomp) still reaches the
    driver socket and the data flows."""
    require_root()
    d = DriverSetup(opendir, run_user)
    drv = d.start(procs)
    upsd, port = d.start_upsd(procs)
    assert any(l.startswith("VAR ups1 ups.status") for l in nut_list(port, "ups1"))
    assert_confined(drv.pid, "dummy-ups")
    assert_confined(upsd.pid, "upsd")


@pytest.mark.parametrize("how", ["ups.conf", "-r"])
def test_dummy_ups_chroot(opendir, procs, run_user, how):
    """ups.conf's global 'chroot =' (or -r) is applied before the user drop,
    as NUT's drivers do: the file is opened before it (as a device would
    be) and its socket bound, and what the driver reads later is looked up
    inside the jail: here a file at the same path that says OB LB."""
    require_root()
    d = DriverSetup(opendir, run_user)
    jail = os.path.join(opendir, "jail")
    inner = jail + d.etc
    os.makedirs(inner)
    for p in (jail, inner):
        os.chmod(p, 0o755)
    with open(os.path.join(inner, "ups1.dev"), "w") as f:
        f.write("ups.status: OB LB\n")
    conf = os.path.join(d.etc, "ups.conf")
    args = ()
    if how == "-r":
        args = ("-r", jail)
    else:
        with open(conf) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write("chroot = %s\n%s" % (jail, text))
    drv = d.start(procs, args=args)
    assert os.readlink("/proc/%d/root" % drv.pid) == jail
    assert_confined(drv.pid, "dummy-ups")
    _, port = d.start_upsd(procs)
    deadline = time.monotonic() + 15
    while True:
        status = [l for l in nut_list(port, "ups1") if l.startswith("VAR ups1 ups.status")]
        if status == ['VAR ups1 ups.status "OB LB"']:
            break
        assert time.monotonic() < deadline, "the file inside the jail was not read: %s" % status
        time.sleep(0.3)


def test_dummy_ups_chroot_to_missing_directory_fails_loudly(opendir, run_user):
    require_root()
    d = DriverSetup(opendir, run_user)
    missing = os.path.join(opendir, "no-such-jail")
    r = d.run(["-a", "ups1", "-F", "-r", missing])
    assert r.returncode != 0
    err = r.stdout + r.stderr
    assert "chroot" in err, err


def test_dummy_ups_help_shows_manifest():
    r = subprocess.run([our_bin("dummy-ups"), "-h"], capture_output=True, text=True, timeout=10)
    assert "Sandbox manifest" in r.stdout + r.stderr


def test_repeater_connects_only_to_its_upstream(opendir, hook, procs, run_user):
    """dummy-ups as a repeater of a remote upsd: TCP connect only to the
    upstream's port (Landlock), nothing else."""
    require_root()
    require_landlock(4)
    up = DriverSetup(os.path.join(opendir, "up"), run_user)
    os.chmod(up.base, 0o755)
    up.start(procs)
    _, port = up.start_upsd(procs)
    rep = DriverSetup(os.path.join(opendir, "rep"), run_user, ups="rep",
                      port="ups1@127.0.0.1:%d" % port)
    os.chmod(rep.base, 0o755)
    p = rep.start(procs, hook)
    conn = hook.wait("driver", pid=p.pid)
    assert_confined(p.pid, "dummy-ups (repeater)")
    assert_allowed(conn, "connect 127.0.0.1 %d" % port)
    standard_forbidden(conn, connect_port=port)
    assert p.alive()
