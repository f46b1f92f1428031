"""upsmon scenarios against a real upsd: NUT 2.8.0's (Debian) and ours,
both fed by NUT's dummy-ups with .seq/.dev files.

Timings are short (POLLFREQ 1, HOSTSYNC 3, FINALDELAY 1) so the whole file
runs in a couple of minutes.  Each upsmon runs as root, so its [net] and
[notify] drop to the run-as user; SHUTDOWNCMD is `touch <marker>`, allowed
by a root-owned upswrap filter and by nothing else.
"""
import os
import signal
import time

import pytest

from conftest import nut_request, wait_for
from nut_peer import NutPeer
from upsmon_helpers import UpsmonEnv, upsmon_parts, write_dev, write_seq


@pytest.fixture
def menv(run_user):
    envs = []

    def make(name="upsmon"):
        e = UpsmonEnv(name)
        envs.append(e)
        return e
    yield make
    for e in envs:
        e.cleanup()


def nut_server(procs, workdir, upses):
    return NutPeer(procs, workdir, upses).start()


def status(port, ups):
    return nut_request(port, "GET VAR %s ups.status" % ups)


def test_primary_shutdown_on_low_battery(procs, workdir, menv):
    """OL -> OB -> OB LB: the primary sets FSD, runs SHUTDOWNCMD and writes
    POWERDOWNFLAG with NUT's magic."""
    seq = os.path.join(str(workdir), "fail.seq")
    write_seq(seq, [("OL", 4), ("OB", 3), ("OB LB", 1)])
    peer = nut_server(procs, workdir, {"ups1": seq})
    e = menv()
    e.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % peer.port])
    p = e.start(procs)
    e.wait_event("ONBATT")
    e.wait_event("LOWBATT")
    e.wait_shutdown()
    assert "FSD" in status(peer.port, "ups1")
    types = e.types()
    assert types.index("ONBATT") < types.index("LOWBATT") < types.index("FSD") < \
        types.index("SHUTDOWN")
    assert "ONLINE" not in types  # not for the first OL
    with open(e.pdflag) as f:
        assert f.read() == "upsmon-shutdown-file"
    # the whole message is argv[1]; UPSNAME names the MONITOR line
    ev = [x for x in e.events() if x[0] == "ONBATT"][0]
    assert ev[1] == "ups1@127.0.0.1" and ev[2] == "1" and ev[3] == "UPS ups1@127.0.0.1 on battery"
    # upsmon -K sees the flag
    import subprocess
    from conftest import our_bin
    r = subprocess.run([our_bin("upsmon"), "-K"], env=dict(os.environ, **e.env))
    assert r.returncode == 0
    wait_for(lambda: not p.alive(), 10, what="upsmon to exit after SHUTDOWNCMD (SHUTDOWNEXIT yes)")
