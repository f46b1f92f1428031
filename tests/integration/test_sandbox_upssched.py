"""upssched's timer process under its own sandbox (scriptbox.h), through the
test hook (tag "sched"): started standalone as root, and started by upsmon's
[notify], where it stacks its own, narrower Landlock and seccomp layers on
the inherited ones."""
import os
import subprocess

import pytest

from conftest import free_port, our_bin, wait_for
from nut_peer import NutPeer
from sandbox_helpers import (HookServer, LandlockOnlyDir, assert_allowed, assert_confined,
                             assert_denied, dac_allows, kill_and_reap_wait, loopback_listener, proc_status,
                             require_landlock, require_root, write_script)
from upsmon_helpers import UpsmonEnv, upsmon_parts, write_dev

CMD = """#!/bin/sh
echo "$1" >> {log}
"""


@pytest.fixture
def senv(run_user):
    e = UpsmonEnv("upssched")
    e.ll = LandlockOnlyDir()
    e.cmdlog = os.path.join(e.pub, "cmd.log")
    e.cmd = write_script(os.path.join(e.base, "cmd.sh"), CMD.format(log=e.cmdlog))
    e.hook = HookServer(e.base)
    yield e
    for conn in e.hook.conns:
        if conn.tag == "sched":
            kill_and_reap_wait(conn.pid)
    e.hook.close()
    e.ll.cleanup()
    e.cleanup()


def write_sched(e, extra=""):
    with open(os.path.join(e.confdir, "upssched.conf"), "w") as f:
        f.write("CMDSCRIPT %s\nPIPEFN %s/upssched.pipe\nLOCKFN %s/upssched.lock\n%s\n"
                "AT ONBATT * START-TIMER keepalive 120\n" % (e.cmd, e.pub, e.pub, extra))


def landlock_checks(conn, e, uid, gid):
    """What every timer sandbox refuses and allows, whoever started it."""
    # allowed: CMDSCRIPT, system programs, PIPEFN's directory, /tmp, configuration
    assert conn.ask("spawn %s" % e.cmd) == "OK exit 0"
    assert conn.ask("spawn /bin/true") == "OK exit 0"
    assert_allowed(conn, "write %s/timer-ok" % e.pub)
    assert_allowed(conn, "open /etc/hostname")
    assert_allowed(conn, "open %s/upssched.conf" % e.confdir)
    # refused by Landlock where Unix permissions would allow
    assert dac_allows(uid, gid, e.ll.secret, "r")
    assert conn.ask("open %s" % e.ll.secret) == "ERR EACCES"
    assert dac_allows(uid, gid, os.path.join(e.ll.path, "probe"), "w")
    assert conn.ask("write %s/dropped" % e.ll.path) == "ERR EACCES"
    assert_denied(conn, "open /etc/shadow")
    assert_denied(conn, "write /etc/upsguard-sandbox-test", ("ERR EROFS",))
    # W^X: a script dropped into the writable PIPEFN directory does not run
    dropped = write_script(os.path.join(e.pub, "dropped.sh"), "#!/bin/sh\nexit 0\n")
    assert conn.ask("spawn %s" % dropped) == "OK exit 126"
    assert_denied(conn, "ptrace")
    assert_denied(conn, "socket packet", ("ERR EAFNOSUPPORT",))
    return dropped


def test_timer_standalone_as_root(senv, run_user):
    """Started as root: drops to the run-as user, then Landlock (with the
    CMDSCRIPT_CONNECT / CMDSCRIPT_WRITE opt-ins) and seccomp."""
    require_root()
    require_landlock(4)
    wdir = os.path.join(senv.ll.path, "cmd-state")
    os.mkdir(wdir)
    os.chmod(wdir, 0o777)
    with loopback_listener(4, blocking=True) as lst, loopback_listener(1) as other:
        port = lst.getsockname()[1]
        write_sched(senv, "CMDSCRIPT_CONNECT 127.0.0.1:%d\nCMDSCRIPT_WRITE %s" % (port, wdir))
        env = dict(os.environ, NOTIFYTYPE="ONBATT", UPSNAME="ups1", **senv.env)
        env.update(senv.hook.env)
        r = subprocess.run([our_bin("upssched"), "UPS ups1 on battery"], env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=20)
        assert r.returncode == 0
        conn = senv.hook.wait("sched")
        st = assert_confined(conn.pid, "upssched timer")
        assert st["Uid"].split()[0] == str(run_user[1])
        dropped = landlock_checks(conn, senv, run_user[1], run_user[2])
        # opted in: one port and one directory, nothing more
        assert_allowed(conn, "connect 127.0.0.1 %d" % port)
        assert_allowed(conn, "write %s/state" % wdir)
        assert conn.ask("connect 127.0.0.1 %d" % other.getsockname()[1]) == "ERR EACCES"
        assert_denied(conn, "bind %d" % free_port())
        with pytest.raises(BlockingIOError):
            other.accept()
        # the timer still serves its clients
        lst_out = subprocess.run([our_bin("upssched"), "-l"], env=dict(os.environ, **senv.env),
                                 capture_output=True, text=True, timeout=10).stdout
        assert "TIMER keepalive ups1" in lst_out, lst_out
        assert conn.ask("exec %s" % dropped) == "ERR EACCES"
        assert conn.ask("ping") is not None, "the timer died"


def test_timer_without_optin_has_no_network(senv, run_user):
    require_root()
    write_sched(senv)
    env = dict(os.environ, NOTIFYTYPE="ONBATT", UPSNAME="ups1", **senv.env)
    env.update(senv.hook.env)
    subprocess.run([our_bin("upssched"), "x"], env=env, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20, check=True)
    conn = senv.hook.wait("sched")
    assert_confined(conn.pid, "upssched timer")
    with loopback_listener(1) as lst:
        assert conn.ask("socket inet") == "ERR EAFNOSUPPORT"
        assert conn.ask("connect 127.0.0.1 %d" % lst.getsockname()[1]) == "ERR EAFNOSUPPORT"
        assert_denied(conn, "bind %d" % free_port(), ("ERR EAFNOSUPPORT",))
        with pytest.raises(BlockingIOError):
            lst.accept()


def test_timer_nested_in_notify(senv, procs, workdir, run_user):
    """Run by [notify] (NOTIFYCMD upssched), the timer adds its own layers: a
    path [notify] may write through NOTIFYCMD_WRITE stays closed to the timer
    unless upssched.conf grants it too."""
    require_root()
    require_landlock(4)
    notify_only = os.path.join(senv.ll.path, "notify-only")
    os.mkdir(notify_only)
    os.chmod(notify_only, 0o777)
    write_sched(senv)
    dev = os.path.join(str(workdir), "ups1.dev")
    write_dev(dev, "OL")
    peer = NutPeer(procs, workdir, {"ups1": dev}).start()
    senv.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % peer.port],
                    notifycmd=our_bin("upssched"), extra="NOTIFYCMD_WRITE %s" % notify_only)
    p = senv.start(procs, env=senv.hook.env)
    parts = upsmon_parts(p.pid)
    notify = senv.hook.wait("notify", pid=parts["notify"])
    import time
    time.sleep(1.5)
    write_dev(peer.upses["ups1"][0], "OB")
    conn = senv.hook.wait("sched", timeout=20)
    # [notify]'s filter plus the timer's own (the hook connects before the
    # sandbox, and the inherited filter already shows Seccomp 2: wait for ours)
    notify_filters = int(proc_status(parts["notify"])["Seccomp_filters"])
    wait_for(lambda: int(proc_status(conn.pid)["Seccomp_filters"]) > notify_filters, 10,
             what="the timer's own seccomp layer")
    st = assert_confined(conn.pid, "upssched timer (nested)")
    assert st["Uid"].split()[0] == str(run_user[1])
    assert int(st["Seccomp_filters"]) >= 2, st["Seccomp_filters"]
    # the narrower layer: [notify] may write there, the timer may not
    assert_allowed(notify, "write %s/from-notify" % notify_only)
    assert conn.ask("write %s/from-timer" % notify_only) == "ERR EACCES"
    landlock_checks(conn, senv, run_user[1], run_user[2])
    # no network in either layer
    assert conn.ask("socket inet") == "ERR EAFNOSUPPORT"
    assert_denied(conn, "bind %d" % free_port(), ("ERR EAFNOSUPPORT",))
    # (`upsmon -c fsd` from a CMDSCRIPT still signals upsmon: test_upsmon_upssched.py)
    assert conn.ask("ping") is not None, "the timer died"
