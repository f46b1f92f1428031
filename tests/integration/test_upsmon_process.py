"""upsmon's process structure, checked from outside: three processes, the
confinement of [net] and [notify], the test hook inside [net], what
happens when a part dies, SHUTDOWNCMD filtering at start-up, and the
-c/-K/-t/-T command line."""
import os
import signal
import socket
import subprocess

import pytest

from conftest import nut_request, our_bin, wait_for
from nut_peer import NutPeer
from sandbox_helpers import (HookServer, assert_confined, landlock_abi, proc_status,
                             require_root)
from upsmon_helpers import UpsmonEnv, children, cmdline, upsmon_parts, write_dev

PRIV_LINE_BUDGET = 300  # src/upsmon/priv.c, the only code that stays root


@pytest.fixture
def menv(run_user):
    e = UpsmonEnv("upsmon")
    yield e
    e.cleanup()


def start(procs, workdir, menv, env=None, status="OL", extra=""):
    dev = os.path.join(str(workdir), "ups1.dev")
    write_dev(dev, status)
    peer = NutPeer(procs, workdir, {"ups1": dev}).start()
    menv.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % peer.port], extra=extra)
    p = menv.start(procs, env=env)
    parts = upsmon_parts(p.pid)
    wait_for(lambda: nut_request(peer.port, "GET NUMLOGINS ups1") == "NUMLOGINS ups1 1", 10,
             what="upsmon logged in")
    return peer, p, parts


def test_three_processes_confined(procs, workdir, menv, run_user):
    require_root()
    peer, p, parts = start(procs, workdir, menv)
    assert cmdline(p.pid).startswith("upsmon [priv]")
    assert sorted(children(p.pid)) == sorted(parts.values())
    for tag in ("net", "notify"):
        st = assert_confined(parts[tag], "upsmon [%s]" % tag)
        assert st["Uid"].split()[0] == str(run_user[1])
        assert st["CapEff"] == "0000000000000000" and st["NoNewPrivs"] == "1"
        assert st["Seccomp"] == "2"
    priv = proc_status(p.pid)
    assert priv["Uid"].split()[0] == "0"
    # [net] is chrooted to the empty directory under the state path
    empty = os.path.join(menv.statedir, "upsmon-empty")
    assert os.readlink("/proc/%d/root" % parts["net"]) == empty
    assert os.listdir(empty) == []
    assert os.readlink("/proc/%d/root" % parts["notify"]) == "/"
    # the pid file names [priv], which receives -c commands
    with open(os.path.join(menv.statedir, "upsmon.pid")) as f:
        assert int(f.read()) == p.pid


def test_net_hook_denials(procs, workdir, menv, run_user):
    """From inside [net]: no file access at all, TCP connect only to upsd's port."""
    require_root()
    abi = landlock_abi()
    assert abi >= 4, "Landlock ABI %d: TCP rules need ABI >= 4 (Linux >= 6.7)" % abi
    hook = HookServer(menv.base)
    try:
        peer, p, parts = start(procs, workdir, menv, env=hook.env)
        conn = hook.wait("net", pid=parts["net"])
        assert conn.ask("connect 127.0.0.1 %d" % peer.port) == "OK"
        # the chroot hides /etc/passwd; Landlock denies what the chroot shows
        assert conn.ask("open /etc/passwd") in ("ERR EACCES", "ERR ENOENT")
        assert conn.ask("open /") == "ERR EACCES"
        assert conn.ask("open .") == "ERR EACCES"
        with socket.socket() as other:
            other.bind(("127.0.0.1", 0))
            other.listen(1)
            assert conn.ask("connect 127.0.0.1 %d" % other.getsockname()[1]) == "ERR EACCES"
        assert conn.ask("socket packet") == "ERR EAFNOSUPPORT"
        assert conn.ask("ping") is not None
    finally:
        hook.close()


@pytest.mark.parametrize("kind", ["file", "hashed-dir"])
def test_net_chrooted_with_certpath(procs, workdir, menv, run_user, kind):
    """With CERTPATH (a CA file, or a hashed CA directory) [net] reads the CA
    before its chroot and is chrooted like without it: /etc/passwd cannot
    be opened, and the CA is not reachable either."""
    require_root()
    from test_clients_tls import hashed_ca_dir, make_pki
    pki = os.path.join(str(workdir), "pki")
    os.makedirs(pki)
    make_pki(pki, ["127.0.0.1"])
    ca = os.path.join(pki, "ca.pem")
    if kind == "hashed-dir":
        ca = hashed_ca_dir(ca, os.path.join(menv.confdir, "cas"))
    hook = HookServer(menv.base)
    try:
        peer, p, parts = start(procs, workdir, menv, env=hook.env,
                               extra="CERTPATH %s\nFORCESSL 0" % ca)
        empty = os.path.join(menv.statedir, "upsmon-empty")
        assert os.readlink("/proc/%d/root" % parts["net"]) == empty
        conn = hook.wait("net", pid=parts["net"])
        assert conn.ask("open /etc/passwd") in ("ERR EACCES", "ERR ENOENT")
        assert conn.ask("open %s" % ca) in ("ERR EACCES", "ERR ENOENT")
        with socket.socket() as other:
            other.bind(("127.0.0.1", 0))
            other.listen(1)
            assert conn.ask("connect 127.0.0.1 %d" % other.getsockname()[1]) == "ERR EACCES"
    finally:
        hook.close()


def test_certpath_that_does_not_load_stops_upsmon(procs, workdir, menv):
    """A CERTPATH that is not a certificate fails at start, with the reason,
    instead of at every connection."""
    ca = os.path.join(menv.confdir, "ca.pem")
    with open(ca, "w") as f:
        f.write("not a certificate\n")
    dev = os.path.join(str(workdir), "ups1.dev")
    write_dev(dev, "OL")
    peer = NutPeer(procs, workdir, {"ups1": dev}).start()
    menv.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % peer.port],
                    extra="CERTPATH %s\nFORCESSL 0" % ca)
    p = menv.start(procs)
    wait_for(lambda: not p.alive(), 15, what="upsmon to stop")
    assert p.p.returncode != 0
    assert "CERTPATH/CERTFILE" in p.output() and "CA" in p.output(), p.output()


def test_priv_death_gives_noparent(procs, workdir, menv):
    peer, p, parts = start(procs, workdir, menv)
    os.kill(p.pid, signal.SIGKILL)
    menv.wait_event("NOPARENT", 10)
    ev = [x for x in menv.events() if x[0] == "NOPARENT"][0]
    assert ev[3] == "upsmon parent process died - shutdown impossible"
    assert not menv.shut_down()
    for pid in parts.values():  # the test's teardown kills the group
        os.kill(pid, signal.SIGTERM)


@pytest.mark.parametrize("part", ["net", "notify"])
def test_part_death_ends_without_shutdown(procs, workdir, menv, part):
    peer, p, parts = start(procs, workdir, menv, status="OB")
    os.kill(parts[part], signal.SIGKILL)
    wait_for(lambda: not p.alive(), 10, what="[priv] to exit")
    assert p.p.returncode == 1
    assert "[%s] process died" % part in p.output()
    assert not menv.shut_down()
    assert not os.path.exists(menv.pdflag)


def test_c_fsd_stop(procs, workdir, menv):
    peer, p, parts = start(procs, workdir, menv)
    env = dict(os.environ, **menv.env)
    r = subprocess.run([our_bin("upsmon"), "-c", "fsd"], env=env)
    assert r.returncode == 0
    menv.wait_shutdown(15)
    assert "FSD" in nut_request(peer.port, "GET VAR ups1 ups.status")
    # stop: a second instance, stopped without shutting down
    m2 = UpsmonEnv("second")
    try:
        m2.write_conf(["ups1@127.0.0.1:%d 1 monsecondary smpass secondary" % peer.port])
        write_dev(peer.upses["ups1"][0], "OL")
        p2 = m2.start(procs)
        upsmon_parts(p2.pid)
        r = subprocess.run([our_bin("upsmon"), "-c", "stop"], env=dict(os.environ, **m2.env))
        assert r.returncode == 0
        wait_for(lambda: not p2.alive(), 10, what="upsmon -c stop")
        assert not m2.shut_down()
        r = subprocess.run([our_bin("upsmon"), "-c", "stop"], env=dict(os.environ, **m2.env),
                           capture_output=True, text=True)
        assert r.returncode != 0
    finally:
        m2.cleanup()


def test_c_reload_restarts_parts(procs, workdir, menv):
    peer, p, parts = start(procs, workdir, menv)
    env = dict(os.environ, **menv.env)
    assert subprocess.run([our_bin("upsmon"), "-c", "reload"], env=env).returncode == 0
    new = wait_for(lambda: (lambda q: q if q and q != parts else None)(
        upsmon_parts(p.pid, timeout=2) if p.alive() else None), 15,
        what="new [net]/[notify] after reload")
    assert p.alive() and set(new.values()).isdisjoint(parts.values())


def test_unfiltered_shutdowncmd_refused_at_start(procs, workdir, menv):
    """A SHUTDOWNCMD no filter allows stops upsmon at start-up with a clear
    message; shell tricks do not help."""
    env = dict(os.environ, **menv.env)
    for cmd in ("/sbin/shutdown -h +0", "%s; /sbin/reboot" % menv.shutdowncmd,
                "%s $(reboot)" % menv.shutdowncmd, "/usr/bin/touch /etc/nologin"):
        menv.write_conf(["ups1@127.0.0.1:3493 1 monprimary pmpass primary"],
                        shutdowncmd=cmd.replace('"', '\\"'))
        r = subprocess.run([our_bin("upsmon"), "-F"], env=env, capture_output=True, text=True,
                           timeout=10)
        assert r.returncode == 1, cmd
        assert "SHUTDOWNCMD" in r.stderr and "refused" in r.stderr, r.stderr
        r = subprocess.run([our_bin("upsmon"), "-t"], env=env, capture_output=True, text=True)
        assert r.returncode == 1
    menv.write_conf(["ups1@127.0.0.1:3493 1 monprimary pmpass primary"])
    r = subprocess.run([our_bin("upsmon"), "-t"], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([our_bin("upsmon"), "-T"], env=env, capture_output=True, text=True)
    assert r.returncode == 0 and "MONITOR" in r.stdout and "WRAPCONF" in r.stdout


def test_startup_checks(menv):
    env = dict(os.environ, **menv.env)
    # insufficient power configured
    menv.write_conf(["ups1@127.0.0.1:3493 1 monprimary pmpass primary"], extra="MINSUPPLIES 2")
    r = subprocess.run([our_bin("upsmon"), "-t"], env=env, capture_output=True, text=True)
    assert r.returncode == 1 and "MINSUPPLIES" in r.stderr
    # a world-readable upsmon.conf holds passwords: refused
    menv.write_conf(["ups1@127.0.0.1:3493 1 monprimary pmpass primary"])
    os.chmod(menv.conffile, 0o644)
    r = subprocess.run([our_bin("upsmon"), "-t"], env=env, capture_output=True, text=True)
    assert r.returncode == 1 and "chmod" in r.stderr


def test_killpower_flag(menv):
    env = dict(os.environ, **menv.env)
    menv.write_conf(["ups1@127.0.0.1:3493 1 monprimary pmpass primary"])
    run = lambda: subprocess.run([our_bin("upsmon"), "-K"], env=env).returncode
    assert run() == 1
    with open(menv.pdflag, "w") as f:
        f.write("something else")
    assert run() == 1
    with open(menv.pdflag, "w") as f:
        f.write("upsmon-shutdown-file")
    assert run() == 0


def test_stale_powerdownflag_removed_at_start(procs, workdir, menv):
    with open(menv.pdflag, "w") as f:
        f.write("upsmon-shutdown-file")
    start(procs, workdir, menv)
    assert not os.path.exists(menv.pdflag)


def test_priv_line_budget():
    src = os.path.join(os.path.dirname(__file__), "..", "..", "src", "upsmon", "priv.c")
    with open(src) as f:
        n = sum(1 for _ in f)
    assert n <= PRIV_LINE_BUDGET, "priv.c has %d lines (budget %d)" % (n, PRIV_LINE_BUDGET)


def test_stop_without_cap_kill(procs, workdir, menv, run_user):
    """Under a service manager that grants no CAP_KILL (the shipped unit),
    [priv] still stops its unprivileged parts: by message, not by signal."""
    require_root()
    import shutil
    setpriv = shutil.which("setpriv")
    assert setpriv, "needs util-linux setpriv"
    dev = os.path.join(str(workdir), "ups1.dev")
    write_dev(dev, "OL")
    peer = NutPeer(procs, workdir, {"ups1": dev}).start()
    menv.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % peer.port])
    p = procs.start([setpriv, "--bounding-set", "-kill", "--inh-caps", "-kill",
                     our_bin("upsmon"), "-F"], env=menv.env, name="upsmon-nokill")
    parts = upsmon_parts(p.pid)
    assert int(proc_status(p.pid)["CapBnd"], 16) & (1 << 5) == 0  # CAP_KILL gone
    r = subprocess.run([our_bin("upsmon"), "-c", "stop"], env=dict(os.environ, **menv.env))
    assert r.returncode == 0
    wait_for(lambda: not p.alive(), 10, what="upsmon to stop without CAP_KILL")
    for pid in parts.values():
        assert not os.path.exists("/proc/%d" % pid) or \
            proc_status(pid).get("State", "").startswith("Z")
    assert "NOPARENT" not in menv.types()
