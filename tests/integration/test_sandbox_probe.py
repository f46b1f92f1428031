"""The sandbox module, proven on its own probe program before any daemon
uses it: identity, capabilities, no_new_privs, Landlock (files and TCP
ports), seccomp (kill by default, log in debug mode), the run-as user
refusal, and the test hook itself."""
import os
import re
import signal
import socket
import subprocess

import pytest

from conftest import free_port, our_bin, wait_for
from sandbox_helpers import (HookServer, assert_allowed, assert_confined, assert_denied,
                             proc_status, require_landlock, require_root,
                             standard_forbidden, wait_dead, make_open_dir)


@pytest.fixture
def opendir():
    """A directory the dropped user can reach (pytest's base dir is 0700)."""
    import pathlib
    import shutil
    d = make_open_dir()
    yield pathlib.Path(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def hook(opendir):
    h = HookServer(opendir)
    yield h
    h.close()


def start_probe(procs, hook, *args, env=None):
    e = dict(hook.env)
    e.update(env or {})
    p = procs.start([our_bin("sandbox-probe")] + list(args), env=e)
    conn = hook.wait("probe", pid=p.pid)
    wait_for(lambda: "sandbox:" in p.output(), what="probe report")
    return p, conn


def test_probe_confined_and_forbidden_actions_fail(hook, procs, run_user):
    require_root()
    require_landlock(4)
    port = free_port()
    p, conn = start_probe(procs, hook, "-r", "/usr", "-b", str(port), "-s", "event,net-server")
    st = assert_confined(p.pid, "sandbox-probe")
    assert st["Uid"].split()[0] == str(run_user[1])
    assert st["Gid"].split()[0] == str(run_user[2])
    out = p.output()
    assert re.search(r"landlock ABI [4-9]\d* \(fs on, tcp on", out), out
    assert "seccomp kill" in out
    # allowed actions still work
    assert_allowed(conn, "open /usr/bin/env")
    assert_allowed(conn, "bind %d" % port)
    assert_allowed(conn, "socket inet")
    assert_allowed(conn, "ping")
    # forbidden ones do not
    assert_denied(conn, "open /etc/passwd")
    assert_denied(conn, "socket netlink", ("ERR EAFNOSUPPORT",))
    standard_forbidden(conn, bound_port=port)
    assert p.alive()


def test_probe_connect_rule_is_per_port(hook, procs, run_user):
    require_root()
    require_landlock(4)
    with socket.socket() as lst, socket.socket() as other:
        lst.bind(("127.0.0.1", 0))
        lst.listen(4)
        other.bind(("127.0.0.1", 0))
        other.listen(4)
        port = lst.getsockname()[1]
        p, conn = start_probe(procs, hook, "-c", "127.0.0.1:%d" % port, "-s", "net-client")
        assert_allowed(conn, "connect 127.0.0.1 %d" % port)
        assert_denied(conn, "connect 127.0.0.1 %d" % other.getsockname()[1])
        # no bind rule at all: binding any port is refused
        assert_denied(conn, "bind %d" % free_port())
        # the resolver files are readable for a TCP client, the rest of /etc is not
        assert_allowed(conn, "open /etc/hosts")
        assert_denied(conn, "open /etc/shadow")


def test_probe_write_and_read_rules(opendir, hook, procs, run_user):
    workdir = opendir
    require_root()
    require_landlock(1)
    data = workdir / "data"
    ro = workdir / "ro"
    data.mkdir()
    ro.mkdir()
    (ro / "f").write_text("x")
    os.chown(data, run_user[1], run_user[2])
    os.chmod(ro, 0o777)  # DAC would allow: only Landlock refuses
    os.chmod(ro / "f", 0o666)
    p, conn = start_probe(procs, hook, "-w", str(data), "-r", str(ro))
    assert_allowed(conn, "write %s" % (data / "new"))
    assert (data / "new").exists()
    assert_allowed(conn, "open %s" % (ro / "f"))
    assert_denied(conn, "write %s" % (ro / "f"))
    assert_denied(conn, "write %s" % (ro / "g"))
    assert not (ro / "g").exists()
    assert_denied(conn, "open %s" % (workdir / "hook.sock"))


def test_probe_default_action_kills(hook, procs, run_user):
    require_root()
    p, conn = start_probe(procs, hook, "-s", "event")
    assert conn.ask("syscall swapoff") is None
    rc = wait_dead(p)
    assert rc == -signal.SIGSYS, "expected death by SIGSYS, got %r" % rc


def test_probe_fork_not_allowed(hook, procs, run_user):
    require_root()
    p, conn = start_probe(procs, hook, "-s", "event")
    assert conn.ask("spawn /bin/true") == "ERR EPERM"
    assert p.alive()


def test_probe_file_write_calls_fail_softly(opendir, hook, procs, run_user):
    """Without the file-write group, unlink fails with EPERM (a pid file
    removed at exit must not become a SIGSYS death); with it, Landlock
    still limits where."""
    require_root()
    victim = opendir / "victim"
    victim.write_text("x")
    os.chmod(opendir, 0o777)
    p, conn = start_probe(procs, hook, "-w", str(opendir))
    assert conn.ask("unlink %s" % victim) == "ERR EPERM"
    assert victim.exists() and p.alive()
    procs.started[-1].stop()
    p2, conn2 = start_probe(procs, hook, "-s", "file-write", "-w", str(opendir / "sub"))
    assert_denied(conn2, "unlink %s" % victim)
    assert victim.exists()


def test_probe_seccomp_log_mode_does_not_kill(hook, procs, run_user):
    require_root()
    p, conn = start_probe(procs, hook, "-L")
    assert "seccomp log-only" in p.output()
    reply = conn.ask("syscall swapoff")
    assert reply is not None and reply.startswith("ERR"), reply
    assert p.alive()
    assert proc_status(p.pid)["Seccomp"] == "2"


def test_probe_exec_allowed_only_for_listed_programs(hook, procs, run_user):
    require_root()
    require_landlock(1)
    true_bin = os.path.realpath("/bin/true")
    p, conn = start_probe(procs, hook, "-s", "exec", "-x", true_bin)
    assert_allowed(conn, "spawn %s" % true_bin)
    assert conn.ask("spawn %s" % true_bin) == "OK exit 0"
    # another program: Landlock refuses the execve in the child (exit 126)
    assert conn.ask("spawn %s" % os.path.realpath("/usr/bin/id")) == "OK exit 126"
    assert_denied(conn, "ptrace")


def test_nested_apply(hook, procs, run_user):
    """A confined process can confine itself further (upssched started by
    upsmon [notify] does): the outer probe spawns an inner one, which
    applies its own, stricter manifest and exits 0."""
    require_root()
    probe = os.path.realpath(our_bin("sandbox-probe"))
    # /proc: a sanitizer-built child reads /proc/self/maps when it starts
    p, conn = start_probe(procs, hook, "-s", "exec", "-x", probe, "-r", "/proc")
    assert conn.ask("spawn %s" % probe) == "OK exit 0"
    wait_for(lambda: p.output().count("sandbox: uid") == 2, what="the inner report")
    inner = p.output().strip().splitlines()[-1]
    assert "uid %d" % run_user[1] in inner and "seccomp kill" in inner, inner
    assert "landlock ABI" in inner and "fs on" in inner, inner


def test_probe_chroot(opendir, hook, procs, run_user):
    workdir = opendir
    require_root()
    empty = workdir / "empty"
    empty.mkdir()
    p, conn = start_probe(procs, hook, "-C", str(empty))
    assert_confined(p.pid)
    assert os.readlink("/proc/%d/root" % p.pid) == str(empty)
    assert_denied(conn, "open /etc/shadow", ("ERR ENOENT",))
    assert "chroot yes" in p.output()


def test_probe_refuses_missing_run_as_user(workdir):
    require_root()
    r = subprocess.run([our_bin("sandbox-probe"), "-u", "no-such-user-upsguard"],
                       capture_output=True, text=True, timeout=30, cwd=str(workdir))
    assert r.returncode != 0
    assert "no-such-user-upsguard" in r.stderr and "does not exist" in r.stderr
    assert "-u USER" in r.stderr


def test_probe_refuses_root_as_run_as_user(workdir):
    require_root()
    r = subprocess.run([our_bin("sandbox-probe"), "-u", "root"],
                       capture_output=True, text=True, timeout=30, cwd=str(workdir))
    assert r.returncode != 0
    assert "is root" in r.stderr


def test_probe_started_unprivileged_reports_bounding_set(hook, procs, run_user):
    """The measured gotcha: without CAP_SETPCAP the bounding set cannot be
    cleared; the report says so instead of pretending."""
    require_root()
    p = procs.start(["setpriv", "--reuid", str(run_user[1]), "--regid", str(run_user[2]),
                     "--clear-groups", our_bin("sandbox-probe")], env=hook.env)
    conn = hook.wait("probe")
    wait_for(lambda: "sandbox:" in p.output(), what="probe report")
    out = p.output()
    assert "bounding set NOT cleared" in out and "CapabilityBoundingSet=" in out, out
    st = proc_status(conn.pid)
    assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2"
    assert int(st["CapEff"], 16) == 0
    assert_denied(conn, "open /etc/shadow")


def test_probe_keep_root_manifest(hook, procs):
    """A manifest that must stay root (upsmon [priv]) keeps uid 0 but still
    loses capabilities it does not list, and gets NNP + seccomp."""
    require_root()
    p, conn = start_probe(procs, hook, "-R")
    st = proc_status(p.pid)
    assert st["Uid"].split() == ["0"] * 4
    assert int(st["CapEff"], 16) == 0 and int(st["CapBnd"], 16) == 0
    assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2"
    assert_denied(conn, "open /etc/shadow")


def test_hook_absent_without_environment(workdir, run_user):
    """Without UPSGUARD_TEST_HOOK no hook is created: the probe applies its
    sandbox and exits at once, having nothing to serve."""
    require_root()
    env = dict(os.environ)
    env.pop("UPSGUARD_TEST_HOOK", None)
    r = subprocess.run([our_bin("sandbox-probe")], capture_output=True, text=True,
                       timeout=30, env=env, cwd=str(workdir))
    assert r.returncode == 0, r.stderr
    assert "sandbox: uid %d" % run_user[1] in r.stdout


def test_hook_line_bound_closes_hook(hook, procs, run_user):
    require_root()
    p, conn = start_probe(procs, hook)
    assert conn.ask("ping").startswith("OK")
    assert conn.ask("open /" + "a" * 600) is None  # longer than SANDBOX_HOOK_LINE_MAX
    assert wait_dead(p) == 0  # the probe stops serving and exits cleanly


def test_probe_manifest_print():
    r = subprocess.run([our_bin("sandbox-probe"), "-p", "-r", "/etc/upsguard", "-b", "3493",
                        "-c", "localhost:3493", "-s", "event,net-server"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0
    out = r.stdout
    assert "reads:" in out and "/etc/upsguard" in out
    assert "tcp bind:" in out and "3493" in out
    assert "localhost:3493" in out and "ports only" in out
    assert "base,event,net-server" in out


def test_probe_unreachable_manifest_path_fails_loudly(workdir, run_user):
    """A path the run-as user cannot even reach is an error naming the path,
    not a silently smaller sandbox."""
    require_root()
    secret = workdir / "private"
    secret.mkdir()
    os.chmod(workdir, 0o700)
    r = subprocess.run([our_bin("sandbox-probe"), "-r", str(secret)], capture_output=True,
                       text=True, timeout=30, cwd="/")
    assert r.returncode != 0
    assert "landlock failed on %s" % secret in r.stderr, r.stderr
