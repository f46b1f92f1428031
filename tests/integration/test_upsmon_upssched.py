"""upssched: AT rules, its timer process (sandboxed), -l, and the early
shutdown pattern driven by upsmon (ONBATT timer -> CMDSCRIPT -> upsmon -c fsd)."""
import os
import subprocess
import time

import pytest

from conftest import our_bin, wait_for
from nut_peer import NutPeer
from sandbox_helpers import proc_status
from upsmon_helpers import UpsmonEnv, write_dev

CMD_SCRIPT = """#!/bin/sh
echo "$1" >> {log}
"""


@pytest.fixture
def sched(run_user):
    e = UpsmonEnv("upssched")
    e.cmdlog = os.path.join(e.pub, "cmd.log")
    open(e.cmdlog, "w").close()
    os.chmod(e.cmdlog, 0o666)
    e.cmd = os.path.join(e.base, "cmd.sh")
    with open(e.cmd, "w") as f:
        f.write(CMD_SCRIPT.format(log=e.cmdlog))
    os.chmod(e.cmd, 0o755)
    yield e
    for pid in timer_pids(e):
        os.kill(pid, 15)
    e.cleanup()


def write_sched(e, rules, cmd=None):
    with open(os.path.join(e.confdir, "upssched.conf"), "w") as f:
        f.write("CMDSCRIPT %s\nPIPEFN %s/upssched.pipe\nLOCKFN %s/upssched.lock\n%s\n"
                % (cmd or e.cmd, e.pub, e.pub, rules))


def run(e, ntype, ups="ups1", args=()):
    env = dict(os.environ, NOTIFYTYPE=ntype, UPSNAME=ups, **e.env)
    return subprocess.run([our_bin("upssched")] + list(args) + ["UPS %s event" % ups], env=env,
                          capture_output=True, text=True, timeout=10)


def listing(e):
    r = subprocess.run([our_bin("upssched"), "-l"], env=dict(os.environ, **e.env),
                       capture_output=True, text=True, timeout=10)
    return r.stdout


def cmds(e):
    with open(e.cmdlog) as f:
        return f.read().split()


def timer_pids(e):
    """This test's timer processes: named upssched-timer and started with this
    test's configuration directory (never another test's, or a real one)."""
    mine = ("NUT_CONFPATH=%s" % e.confdir).encode()
    out = []
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/comm" % d) as f:
                if f.read().strip() != "upssched-timer":
                    continue
            with open("/proc/%s/environ" % d, "rb") as f:
                if mine in f.read().split(b"\0"):
                    out.append(int(d))
        except (OSError, ValueError):
            pass
    return out


RULES = """AT ONBATT * START-TIMER onbatt 2
AT ONLINE * CANCEL-TIMER onbatt online-no-timer
AT LOWBATT ups1 EXECUTE lowbatt-now
AT LOWBATT other EXECUTE never
AT COMMBAD * START-TIMER-SHARED commbad 30
AT COMMOK * CANCEL-TIMER-MATCHED commbad
"""


def test_timer_fires(sched):
    write_sched(sched, RULES)
    assert run(sched, "ONBATT").returncode == 0
    lst = listing(sched)
    assert "TIMER onbatt ups1" in lst
    # the timer process is sandboxed and unprivileged
    pids = timer_pids(sched)
    assert len(pids) == 1
    st = proc_status(pids[0])
    assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2" and st["Uid"].split()[0] != "0"
    assert int(st["CapEff"], 16) == 0
    wait_for(lambda: "onbatt" in cmds(sched), 6, what="CMDSCRIPT onbatt")
    wait_for(lambda: not timer_pids(sched), 6, what="the timer process to exit when idle")


def test_cancel_and_execute(sched):
    write_sched(sched, RULES)
    run(sched, "ONBATT")
    run(sched, "ONLINE")  # cancels: onbatt never runs
    assert "onbatt" not in listing(sched)
    run(sched, "ONLINE")  # nothing to cancel: runs the CANCEL-TIMER command
    run(sched, "LOWBATT")
    run(sched, "LOWBATT", ups="other2")
    time.sleep(2.5)
    assert cmds(sched) == ["online-no-timer", "lowbatt-now"]


def test_shared_and_matched(sched):
    write_sched(sched, RULES)
    run(sched, "COMMBAD", ups="ups1")
    run(sched, "COMMBAD", ups="ups2")
    lst = listing(sched)
    assert lst.count("TIMER commbad") == 1, lst  # one shared timer
    run(sched, "COMMOK", ups="ups2")
    assert "commbad" not in listing(sched)


def test_bad_environment(sched):
    write_sched(sched, RULES)
    env = dict(os.environ, **sched.env)
    env.pop("NOTIFYTYPE", None)
    r = subprocess.run([our_bin("upssched"), "x"], env=env, capture_output=True, text=True)
    assert r.returncode == 1 and "NOTIFYTYPE" in r.stderr
    assert run(sched, "ONBATT", ups="bad name").returncode == 1
    assert run(sched, "ONBATT", ups="x\ny").returncode == 1


def test_early_shutdown_through_upsmon(procs, workdir, sched):
    """ONBATT starts a timer; when it fires, CMDSCRIPT runs `upsmon -c fsd` as
    the unprivileged notifier user, and upsmon shuts down without LB."""
    script = os.path.join(sched.base, "early.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\necho \"$1\" >> %s\nexec %s -c fsd\n" % (sched.cmdlog, our_bin("upsmon")))
    os.chmod(script, 0o755)
    write_sched(sched, "AT ONBATT * START-TIMER early 2\n", cmd=script)
    dev = os.path.join(str(workdir), "ups1.dev")
    write_dev(dev, "OL")
    peer = NutPeer(procs, workdir, {"ups1": dev}).start()
    sched.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % peer.port],
                     notifycmd=our_bin("upssched"), flags="SYSLOG+EXEC")
    p = sched.start(procs)
    from upsmon_helpers import upsmon_parts
    upsmon_parts(p.pid)
    time.sleep(1.5)
    write_dev(peer.upses["ups1"][0], "OB")
    wait_for(lambda: "early" in cmds(sched), 15, what="the early-shutdown timer to fire")
    sched.wait_shutdown(15)
    assert cmds(sched) == ["early"]
