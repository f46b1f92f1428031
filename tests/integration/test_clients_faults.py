"""A misbehaving server (silent, over-long lines, endless lists, trickling
bytes, bad quoting, wrong echo, hang-up) makes every client fail with a
clear message within its timeout, never hang and never print half-parsed
data as if it were valid.
"""
import concurrent.futures
import os
import signal
import subprocess
import time

import pytest

from clients_helpers import BadServer, ours
from conftest import our_bin

TIMEOUT = 2  # --net-timeout seconds given to the clients
LIMIT = 15.0  # wall-clock seconds a client may take at most (a busy CI machine)

# what each mode must produce in the error message
EXPECT = {
    "silent": "Timeout",
    "trickle": "Timeout",
    "longline": "Reply line too long",
    "endless": ("Reply list too long", "Timeout", "Protocol error"),
    "garbage": "Parse error",
    "wrongecho": "Protocol error",
    "close": "Server disconnected",
}

COMMANDS = [
    ["upsc", "ups@{h}"],
    ["upsc", "ups@{h}", "ups.status"],
    ["upsc", "-l", "{h}"],
    ["upscmd", "-l", "ups@{h}"],
    ["upsrw", "ups@{h}"],
    ["upscmd", "--credentials", "{creds}", "ups@{h}", "load.off"],
    ["upsrw", "--credentials", "{creds}", "-s", "ups.id=x", "ups@{h}"],
]


@pytest.fixture
def creds(workdir):
    p = os.path.join(str(workdir), "creds")
    with open(p, "w") as f:
        f.write("username = admin\npassword = secret\n")
    os.chmod(p, 0o600)
    return p


def run_one(args):
    t0 = time.monotonic()
    rc, out, err = ours(args[0], "--net-timeout", str(TIMEOUT), *args[1:], timeout=30)
    return args, rc, out, err, time.monotonic() - t0


@pytest.mark.parametrize("mode", sorted(EXPECT))
def test_clients_fail_clearly(mode, creds):
    srv = BadServer(mode)
    try:
        jobs = [[a.format(h="127.0.0.1:%d" % srv.port, creds=creds) for a in cmd]
                for cmd in COMMANDS]
        # the clients run side by side: each must meet its own deadline
        with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
            results = list(pool.map(run_one, jobs))
        for args, rc, out, err, took in results:
            assert rc == 1, (mode, args, rc, out, err)
            assert took < LIMIT, (mode, args, took)
            want = EXPECT[mode]
            want = want if isinstance(want, tuple) else (want,)
            # credentials and USERNAME/PASSWORD go first: a server that never
            # answers fails there; the message still names the cause
            assert any(w in err for w in want), (mode, args, err)
            assert "Error" in err or "failed" in err, (mode, args, err)
            # nothing that looks like data reaches stdout
            assert "ups.status" not in out and "OL" not in out, (mode, args, out)
    finally:
        srv.close()


def test_upslog_keeps_its_pace_with_a_silent_server(workdir, procs):
    """upslog writes NA lines on schedule instead of hanging."""
    srv = BadServer("silent")
    log = os.path.join(str(workdir), "ups.log")
    try:
        p = procs.start([our_bin("upslog"), "--net-timeout", "1", "-F", "-i", "1",
                         "-s", "ups@127.0.0.1:%d" % srv.port, "-l", log,
                         "-f", "%ETIME% [%VAR ups.status%]"])
        deadline = time.monotonic() + 15
        lines = []
        while time.monotonic() < deadline and len(lines) < 3:
            time.sleep(0.5)
            if os.path.exists(log):
                with open(log) as f:
                    lines = f.read().splitlines()
        assert len(lines) >= 3, lines
        assert all(l.endswith(" [NA]") for l in lines), lines
        assert p.alive()
        p.signal(signal.SIGTERM)
        p.p.wait(5)
        assert p.p.returncode == 0
    finally:
        srv.close()


def test_refuses_unsendable_password(workdir):
    """A password NUT's protocol cannot carry is refused before sending."""
    srv = BadServer("silent")
    try:
        for bad in ["two words", "quo\"te", "hash#x", "eq=ual"]:
            rc, out, err = ours("upscmd", "-u", "admin", "-p", bad,
                                "ups@127.0.0.1:%d" % srv.port, "load.off",
                                env={"UPSGUARD_PASSWORD": ""})
            assert rc == 1
            assert "password" in err and "cannot receive" in err, err
    finally:
        srv.close()
