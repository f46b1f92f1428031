"""upslog: NUT format strings over a .seq whose status changes (TIMER
lines), several UPSes in one process (-m), reopening after rotation
(SIGHUP), NUT's old calling style, and the same lines as NUT's upslog.
"""
import os
import re
import shutil
import signal
import time

import pytest

from clients_helpers import open_dir
from conftest import our_bin, wait_for
from nut_peer import NUT_UPSLOG, NutPeer

SEQ = """ups.mfr: Seq Inc.
ups.model: Flipper
battery.charge: 100
ups.status: OL
TIMER 2
ups.status: OB DISCHRG
battery.charge: 60
TIMER 2
ups.status: OB LB
battery.charge: 10
TIMER 2
"""


@pytest.fixture
def logdir(run_user):
    """A log directory the dropped upslog may write (for rotation)."""
    d = open_dir("upslog")
    os.chown(d, run_user[1], run_user[2])
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def seq_peer(procs, workdir):
    seq = os.path.join(str(workdir), "flip.seq")
    with open(seq, "w") as f:
        f.write(SEQ)
    steady = os.path.join(str(workdir), "steady.dev")
    with open(steady, "w") as f:
        f.write("ups.status: OL CHRG\nbattery.charge: 77\nups.mfr: Steady\n")
    return NutPeer(procs, workdir, {"flip": seq, "steady": steady}).start()


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return f.read().splitlines()


def wait_lines(path, pred, timeout=20):
    return wait_for(lambda: pred(read_lines(path)) and read_lines(path), timeout,
                    what="log lines in %s" % path)


FMT = "%ETIME% %TIME @H:@M:@S% [%VAR ups.status%] %VAR battery.charge% %UPSHOST% %VAR nodot% %%"


def test_status_changes_are_logged(seq_peer, procs, logdir):
    log = os.path.join(logdir, "flip.log")
    nutlog = os.path.join(logdir, "flip-nut.log")
    ups = seq_peer.addr("flip")
    procs.start([our_bin("upslog"), "-F", "-i", "1", "-s", ups, "-l", log, "-f", FMT])
    procs.start([NUT_UPSLOG, "-F", "-i", "1", "-s", ups, "-l", nutlog, "-f", FMT, "-u", "root"])
    lines = wait_lines(log, lambda ls: any("[OB LB]" in l for l in ls)
                       and any("[OL]" in l for l in ls), timeout=30)
    pat = re.compile(r"^(\d{10}) (\d\d:\d\d:\d\d) \[(OL|OB DISCHRG|OB LB)\] (100|60|10) "
                     + re.escape(ups) + r" INVALID %$")
    for l in lines:
        m = pat.match(l)
        assert m, l
        # %ETIME% and %TIME% describe the same moment
        t = time.localtime(int(m.group(1)))
        assert m.group(2) == time.strftime("%H:%M:%S", t)
    seen = {pat.match(l).group(3) for l in lines}
    assert {"OL", "OB LB"} <= seen
    # the charge moves with the status, as the .seq says
    pairs = {(pat.match(l).group(3), pat.match(l).group(4)) for l in lines}
    assert ("OB LB", "10") in pairs and ("OL", "100") in pairs
    # NUT's upslog renders the same lines (compare without the time fields)
    nut_lines = wait_lines(nutlog, lambda ls: len(ls) >= 3)
    strip = lambda l: l.split(" ", 2)[2]
    assert {strip(l) for l in nut_lines} <= {strip(l) for l in read_lines(log)} | {
        "[OB DISCHRG] 60 %s INVALID %%" % ups}


def test_multi_ups_stdout_and_rotation(seq_peer, procs, logdir):
    flip = os.path.join(logdir, "flip.log")
    p = procs.start([our_bin("upslog"), "-F", "-i", "1", "-f", "%UPSHOST% [%VAR ups.status%]",
                     "-m", "%s,%s" % (seq_peer.addr("flip"), flip),
                     "-m", "%s,-" % seq_peer.addr("steady")])
    wait_lines(flip, lambda ls: len(ls) >= 2)
    out = wait_for(lambda: p.output().count("[OL CHRG]") >= 2 and p.output(), 10,
                   what="stdout lines")
    assert "logging status of %s to %s (1s intervals)" % (seq_peer.addr("flip"), flip) in out
    assert "%s [OL CHRG]" % seq_peer.addr("steady") in out
    assert all(l.startswith(seq_peer.addr("flip") + " [") for l in read_lines(flip))
    # rotate: rename, SIGHUP, a new file appears and the old one stops growing
    os.rename(flip, flip + ".1")
    time.sleep(1.2)
    p.signal(signal.SIGHUP)
    wait_lines(flip, lambda ls: len(ls) >= 2)
    n_old = len(read_lines(flip + ".1"))
    time.sleep(2.2)
    assert len(read_lines(flip + ".1")) == n_old
    assert len(read_lines(flip)) >= 3
    assert p.alive()


def test_old_calling_style_and_usage(seq_peer, procs, logdir):
    log = os.path.join(logdir, "old.log")
    pidfile = os.path.join(logdir, "oldstyle.pid")
    p = procs.start([our_bin("upslog"), "-p", "oldstyle", seq_peer.addr("steady"), log, "1",
                     "%VAR", "ups.mfr%", "[%VAR", "battery.charge%]"],
                    env={"NUT_STATEPATH": logdir})
    try:
        # background by default when logging to a file: the parent returns
        p.p.wait(10)
        assert p.p.returncode == 0
        pid = int(wait_for(lambda: read_lines(pidfile), 10, what="pid file")[0])
        # NUT joins the words with a space after each one
        lines = wait_lines(log, lambda ls: len(ls) >= 1)
        assert lines[0] == "Steady [77] "
    finally:
        if os.path.exists(pidfile):
            os.kill(int(read_lines(pidfile)[0]), signal.SIGTERM)
    import subprocess
    for args in (["-s", "x@127.0.0.1:1"], ["-l", "-"]):
        r = subprocess.run([our_bin("upslog")] + args, capture_output=True, text=True, timeout=10)
        assert r.returncode == 1
        assert "No " in r.stderr and "defined" in r.stderr


def test_unreachable_server_writes_na(procs, logdir):
    from conftest import free_port
    log = os.path.join(logdir, "na.log")
    p = procs.start([our_bin("upslog"), "-F", "-i", "1", "-s", "ups@127.0.0.1:%d" % free_port(),
                     "-l", log])
    lines = wait_lines(log, lambda ls: len(ls) >= 2)
    # the default format: time, then NA for every variable
    assert re.match(r"^\d{8} \d{6} NA NA NA \[NA\] NA NA$", lines[0]), lines[0]
    assert "initial connect failed: Connection failure" in p.output()
