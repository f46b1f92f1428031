"""upsmon's unprivileged parts ([net], [notify]) and upssched's timer
process, measured from outside: confined after a start as root, and
through the test hook, forbidden actions refused while the allowed ones
(connecting to the monitored upsd, running NOTIFYCMD) still work."""
import os
import shutil
import subprocess
import time

import pytest

from conftest import free_port, our_bin, wait_for
from nut_peer import NutPeer
from sandbox_helpers import (HookServer, LandlockOnlyDir, assert_allowed, assert_confined,
                             assert_denied, dac_allows, kill_and_reap_wait, loopback_listener, proc_status,
                             require_landlock, require_root, standard_forbidden, write_script)
from upsmon_helpers import UpsmonEnv, upsmon_parts, write_dev


@pytest.fixture
def menv(run_user):
    e = UpsmonEnv("upsmon")
    yield e
    e.cleanup()


@pytest.fixture
def hook(menv):
    h = HookServer(menv.base)
    yield h
    h.close()


def start_upsmon(procs, workdir, menv, hook):
    dev = os.path.join(str(workdir), "ups1.dev")
    write_dev(dev, "OL")
    peer = NutPeer(procs, workdir, {"ups1": dev}).start()
    menv.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % peer.port])
    p = menv.start(procs, env=hook.env)
    parts = upsmon_parts(p.pid)
    return peer, p, parts


def test_upsmon_parts_confined(menv, hook, procs, workdir, run_user):
    require_root()
    peer, p, parts = start_upsmon(procs, workdir, menv, hook)
    for tag in ("net", "notify"):
        st = assert_confined(parts[tag], "upsmon [%s]" % tag)
        assert st["Uid"].split()[0] == str(run_user[1])
    # [priv] is the one process allowed to stay root (its manifest says so)
    assert proc_status(p.pid)["Uid"].split()[0] == "0"


def test_upsmon_net_forbidden_and_allowed(menv, hook, procs, workdir, run_user):
    require_root()
    require_landlock(4)
    peer, p, parts = start_upsmon(procs, workdir, menv, hook)
    conn = hook.wait("net", pid=parts["net"])
    # allowed: the monitored upsd's port
    assert_allowed(conn, "connect 127.0.0.1 %d" % peer.port)
    # chrooted to an empty directory: nothing of the file system is visible
    assert os.readlink("/proc/%d/root" % parts["net"]) != "/"
    standard_forbidden(conn, connect_port=peer.port, chrooted=True)
    assert_denied(conn, "socket netlink", ("ERR EAFNOSUPPORT",))
    assert conn.ask("ping") is not None, "[net] died"


def test_upsmon_notify_forbidden_and_allowed(menv, hook, procs, workdir, run_user):
    """[notify] under Landlock (scriptbox.h): reads and executes where programs
    live, writes only to scratch space, never executes what it may write
    (W^X), no TCP at all without NOTIFYCMD_CONNECT."""
    require_root()
    require_landlock(4)
    ll = LandlockOnlyDir()
    try:
        peer, p, parts = start_upsmon(procs, workdir, menv, hook)
        conn = hook.wait("notify", pid=parts["notify"])
        assert_confined(parts["notify"], "upsmon [notify]")
        uid, gid = run_user[1], run_user[2]
        # allowed: NOTIFYCMD, system programs, scratch space, configuration
        assert conn.ask("spawn %s" % menv.notify_script) == "OK exit 0"
        assert conn.ask("spawn /bin/true") == "OK exit 0"
        assert_allowed(conn, "write %s/notify-ok" % menv.pub)
        assert_allowed(conn, "write /tmp/upsguard-notify-%d" % parts["notify"])
        os.unlink("/tmp/upsguard-notify-%d" % parts["notify"])
        assert_allowed(conn, "open /etc/hostname")
        assert_allowed(conn, "open /usr/bin/env")
        # Landlock, not Unix permissions, refuses what the manifest does not list
        assert dac_allows(uid, gid, ll.secret, "r")
        assert conn.ask("open %s" % ll.secret) == "ERR EACCES"
        assert dac_allows(uid, gid, os.path.join(ll.path, "probe"), "w")
        assert conn.ask("write %s/dropped" % ll.path) == "ERR EACCES"
        assert not os.path.exists(os.path.join(ll.path, "dropped"))
        assert_denied(conn, "open /etc/shadow")
        assert_denied(conn, "write /etc/upsguard-sandbox-test", ("ERR EROFS",))
        # W^X: a script or a binary put where [notify] may write does not run
        dropped = write_script(os.path.join(menv.pub, "dropped.sh"), "#!/bin/sh\nexit 0\n")
        assert conn.ask("spawn %s" % dropped) == "OK exit 126"
        shutil.copy("/bin/true", os.path.join(menv.pub, "true"))
        os.chmod(os.path.join(menv.pub, "true"), 0o755)
        assert conn.ask("spawn %s/true" % menv.pub) == "OK exit 126"
        # no network: no TCP socket (seccomp) and no port (Landlock) by default
        with loopback_listener(1) as lst:
            assert conn.ask("socket inet") == "ERR EAFNOSUPPORT"
            assert conn.ask("connect 127.0.0.1 %d" % lst.getsockname()[1]) == "ERR EAFNOSUPPORT"
            assert conn.ask("connect 127.0.0.1 %d" % peer.port) == "ERR EAFNOSUPPORT"
            assert conn.ask("bind %d" % free_port()) == "ERR EAFNOSUPPORT"
            with pytest.raises(BlockingIOError):
                lst.accept()
        assert_denied(conn, "socket packet", ("ERR EAFNOSUPPORT",))
        assert_denied(conn, "ptrace")
        assert conn.ask("ping") is not None, "[notify] died"
        # what NOTIFYCMD runs inherits all of it (a shell script using coreutils)
        log = os.path.join(menv.pub, "child.log")
        with loopback_listener(1) as lst:
            write_script(menv.notify_script, CMDSCRIPT.format(log=log, port=lst.getsockname()[1],
                                                              secret=ll.secret))
            assert conn.ask("spawn %s" % menv.notify_script) == "OK exit 0"
            text = open(log).read()
            assert "shadow-denied" in text and "tcp-denied" in text, text
            assert "secret-denied" in text and "exec-denied" in text, text
            assert "NoNewPrivs: 1" in text and "Seccomp: 2" in text, text
            with pytest.raises(BlockingIOError):
                lst.accept()
        # the last step: exec from a writable place, in the process itself
        assert conn.ask("exec %s" % dropped) == "ERR EACCES"
        assert conn.ask("ping") is not None, "[notify] died"
    finally:
        ll.cleanup()


# CMDSCRIPT, run by the timer process, inherits its confinement: it records
# its argument, whether /etc/shadow could be read and whether a TCP
# connection to a local listener could be made.
CMDSCRIPT = """#!/bin/bash
echo "$1" >> {log}
if cat /etc/shadow > /dev/null 2>&1; then echo shadow-read >> {log}; else echo shadow-denied >> {log}; fi
if (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null; then echo tcp-ok >> {log}; else echo tcp-denied >> {log}; fi
if cat {secret} > /dev/null 2>&1; then echo secret-read >> {log}; else echo secret-denied >> {log}; fi
cp /bin/true /tmp/upsguard-wx-$$ 2>/dev/null
if /tmp/upsguard-wx-$$ 2>/dev/null; then echo exec-allowed >> {log}; else echo exec-denied >> {log}; fi
rm -f /tmp/upsguard-wx-$$
grep -E '^(NoNewPrivs|Seccomp|CapBnd|Uid):' /proc/self/status | tr -s '\t' ' ' >> {log}
"""


def write_upssched_conf(menv, script_log, port=1):
    script = os.path.join(menv.base, "cmdscript.sh")
    with open(script, "w") as f:
        f.write(CMDSCRIPT.format(log=script_log, port=port, secret="/etc/shadow"))
    os.chmod(script, 0o755)
    with open(os.path.join(menv.confdir, "upssched.conf"), "w") as f:
        f.write("CMDSCRIPT %s\nPIPEFN %s/upssched.pipe\nLOCKFN %s/upssched.lock\n"
                "AT ONBATT * START-TIMER keepalive 30\nAT ONBATT * START-TIMER onbatt 2\n"
                % (script, menv.pub, menv.pub))


def run_upssched(exe, env, cwd, msg):
    """Run the upssched client; its output goes to a file because the timer
    daemon it may start keeps the inherited descriptors open."""
    out = os.path.join(cwd, "upssched.out")
    with open(out, "ab") as f:
        r = subprocess.run([exe, msg], env=env, stdout=f, stderr=f, timeout=20, cwd=cwd)
    with open(out) as f:
        return r.returncode, f.read()


def find_timer(exe, exclude=()):
    """Processes running our upssched binary (the timer daemon outlives its client)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in exclude:
            continue
        try:
            if os.readlink("/proc/%s/exe" % d) == exe:
                out.append(int(d))
        except OSError:
            pass
    return out


def test_upssched_timer_confined(menv, procs, run_user):
    require_root()
    log = os.path.join(menv.pub, "cmdscript.log")
    lst = loopback_listener(1)
    write_upssched_conf(menv, log, lst.getsockname()[1])
    exe = os.path.realpath(our_bin("upssched"))
    before = set(find_timer(exe))
    env = dict(os.environ, **menv.env)
    env.update({"UPSNAME": "ups1@localhost", "NOTIFYTYPE": "ONBATT"})
    rc, out = run_upssched(exe, env, menv.base, "UPS ups1 on battery")
    assert rc == 0, out
    timers = wait_for(lambda: [p for p in find_timer(exe) if p not in before], 10,
                      what="the upssched timer process")
    try:
        for pid in timers:
            assert_confined(pid, "upssched timer")
        # the sandboxed timer still works: the 2 s timer runs CMDSCRIPT
        wait_for(lambda: os.path.exists(log) and "Uid:" in open(log).read(), 10,
                 what="CMDSCRIPT run by the sandboxed timer")
        text = open(log).read()
        assert "onbatt" in text
        # its child is as confined as the timer: no network, no secrets, no way back
        assert "shadow-denied" in text and "tcp-denied" in text, text
        assert "exec-denied" in text, text  # W^X: nothing copied to /tmp runs
        assert "NoNewPrivs: 1" in text and "Seccomp: 2" in text, text
        assert "CapBnd: 0000000000000000" in text, text
        try:
            lst.accept()
            raise AssertionError("the timer's CMDSCRIPT reached a TCP listener")
        except BlockingIOError:
            pass
        for pid in timers:
            assert_confined(pid, "upssched timer")
    finally:
        lst.close()
        for pid in timers:
            kill_and_reap_wait(pid)


def test_upsmon_refuses_missing_run_as_user(menv, run_user):
    require_root()
    menv.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % free_port()],
                    extra="RUN_AS_USER no-such-user-upsguard")
    env = dict(os.environ, **menv.env)
    r = subprocess.run([our_bin("upsmon"), "-F"], env=env, capture_output=True, text=True,
                       timeout=20)
    assert r.returncode != 0
    err = r.stdout + r.stderr
    assert "no-such-user-upsguard" in err and "RUN_AS_USER" in err, err


def test_upsmon_refuses_world_readable_conf(menv, run_user):
    require_root()
    menv.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % free_port()])
    os.chmod(menv.conffile, 0o644)
    env = dict(os.environ, **menv.env)
    r = subprocess.run([our_bin("upsmon"), "-F"], env=env, capture_output=True, text=True,
                       timeout=20)
    assert r.returncode != 0
    err = r.stdout + r.stderr
    assert "upsmon.conf" in err and "chmod" in err, err


# ---- NOTIFYCMD_CONNECT / NOTIFYCMD_WRITE, and failures explained loudly ----

NET_SCRIPT = """#!/bin/bash
# A webhook stand-in (like curl to ntfy or Home Assistant): exit 7 when the
# connection cannot be made, as curl does.
if (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null; then
    echo "$NOTIFYTYPE tcp-ok" >> {log}
else
    echo "$NOTIFYTYPE tcp-failed" >> {log}
    exit 7
fi
"""


def start_with(procs, workdir, menv, notifycmd, extra="", env=None):
    dev = os.path.join(str(workdir), "ups1.dev")
    write_dev(dev, "OL")
    peer = NutPeer(procs, workdir, {"ups1": dev}).start()
    menv.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % peer.port],
                    notifycmd=notifycmd, extra=extra)
    p = menv.start(procs, env=env)
    parts = upsmon_parts(p.pid)
    return peer, p, parts


def go_on_battery(peer):
    time.sleep(1.5)  # let [net] see OL first
    write_dev(peer.upses["ups1"][0], "OB")


def test_notifycmd_network_refused_names_the_directive(menv, procs, workdir, run_user):
    require_root()
    log = os.path.join(menv.pub, "net.log")
    with loopback_listener(4) as lst:
        script = write_script(os.path.join(menv.base, "webhook.sh"),
                              NET_SCRIPT.format(port=lst.getsockname()[1], log=log))
        peer, p, parts = start_with(procs, workdir, menv, script)
        go_on_battery(peer)
        wait_for(lambda: os.path.exists(log) and "ONBATT tcp-failed" in open(log).read(), 20,
                 what="the webhook script to run and fail")
        out = wait_for(lambda: "exited with status 7" in p.output() and p.output(), 10,
                       what="[notify] to explain the failure (have %r)" % p.output()[-2000:])
        line = [x for x in out.splitlines() if "exited with status 7" in x][0]
        assert "NOTIFYCMD_CONNECT host:port" in line and "no network" in line, line
        assert "NOTIFYCMD_WRITE" in line, line
        with pytest.raises(BlockingIOError):
            lst.accept()


def test_notifycmd_connect_optin(menv, hook, procs, workdir, run_user):
    """NOTIFYCMD_CONNECT opens one port (Landlock) and TCP sockets (seccomp);
    NOTIFYCMD_WRITE one more writable path; nothing else changes."""
    require_root()
    require_landlock(4)
    ll = LandlockOnlyDir()
    wdir = os.path.join(ll.path, "notify-state")
    os.mkdir(wdir)
    os.chmod(wdir, 0o777)
    log = os.path.join(menv.pub, "net.log")
    try:
        with loopback_listener(8, blocking=True) as lst, loopback_listener(1) as other:
            port = lst.getsockname()[1]
            script = write_script(os.path.join(menv.base, "webhook.sh"),
                                  NET_SCRIPT.format(port=port, log=log))
            peer, p, parts = start_with(
                procs, workdir, menv, script, env=hook.env,
                extra="NOTIFYCMD_CONNECT 127.0.0.1:%d\nNOTIFYCMD_WRITE %s" % (port, wdir))
            conn = hook.wait("notify", pid=parts["notify"])
            assert_confined(parts["notify"], "upsmon [notify]")
            # the opted-in destination and path work
            assert_allowed(conn, "connect 127.0.0.1 %d" % port)
            assert_allowed(conn, "write %s/state" % wdir)
            # another port, binding, the rest of /dev/shm: still refused by Landlock
            assert conn.ask("connect 127.0.0.1 %d" % other.getsockname()[1]) == "ERR EACCES"
            assert_denied(conn, "bind %d" % free_port())
            assert conn.ask("write %s/outside" % ll.path) == "ERR EACCES"
            # W^X holds for the opted-in path too
            dropped = write_script(os.path.join(wdir, "dropped.sh"), "#!/bin/sh\nexit 0\n")
            assert conn.ask("spawn %s" % dropped) == "OK exit 126"
            with pytest.raises(BlockingIOError):
                other.accept()
            # the NOTIFYCMD itself reaches its webhook
            go_on_battery(peer)
            wait_for(lambda: os.path.exists(log) and "ONBATT tcp-ok" in open(log).read(), 20,
                     what="the webhook script to connect")
            assert "exited with status" not in p.output()
    finally:
        ll.cleanup()


def test_notifycmd_sigsys_and_exec_failure_explained(menv, procs, workdir, run_user):
    require_root()
    # a NOTIFYCMD that makes a system call outside the profile dies of SIGSYS
    script = write_script(os.path.join(menv.base, "acct.sh"),
                          "#!/bin/sh\nexec /usr/bin/python3 -c "
                          "'import ctypes; ctypes.CDLL(None).syscall(163, 0)'\n")
    peer, p, parts = start_with(procs, workdir, menv, script)
    go_on_battery(peer)
    out = wait_for(lambda: "SIGSYS" in p.output() and p.output(), 25,
                   what="[notify] to report SIGSYS (have %r)" % p.output()[-2000:])
    line = [x for x in out.splitlines() if "SIGSYS" in x][0]
    assert "acct.sh" in line and "ONBATT" in line and "NOTIFYCMD_CONNECT" in line, line
    assert proc_status(parts["notify"])["State"][0] in "SR", "[notify] must survive its child"
    p.stop()
    for proc in list(procs.started):
        proc.stop()
    procs.started.clear()

    # a NOTIFYCMD that cannot be executed at all (mode 0644): said at once
    menv2 = UpsmonEnv("upsmon2")
    try:
        noexec = write_script(os.path.join(menv2.base, "noexec.sh"), "#!/bin/sh\nexit 0\n",
                              mode=0o644)
        wd = os.path.join(str(workdir), "second")
        os.makedirs(wd)
        os.chmod(wd, 0o755)
        peer, p, parts = start_with(procs, wd, menv2, noexec)
        go_on_battery(peer)
        out = wait_for(lambda: "cannot be executed" in p.output() and p.output(), 25,
                       what="[notify] to report the exec failure (have %r)" % p.output()[-2000:])
        line = [x for x in out.splitlines() if "cannot be executed" in x][0]
        assert "noexec.sh" in line and "Permission denied" in line and "chmod" in line, line
        assert "W^X" in line, line
    finally:
        menv2.cleanup()
