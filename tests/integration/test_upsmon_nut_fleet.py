"""Mixed fleets: NUT 2.8.0's own upsmon (/lib/nut/upsmon, started directly
with -F and NUT_CONFPATH, no nut.conf) and ours monitor the same UPS on
NUT's upsd, one as primary and the other as secondary, both ways round."""
import os
import shutil
import tempfile
import time

import pytest

from conftest import nut_request, wait_for
from nut_peer import NUT_UPSMON, NutPeer
from upsmon_helpers import UpsmonEnv, write_seq


class NutUpsmon:
    def __init__(self, procs, monitor):
        self.base = tempfile.mkdtemp(prefix="upsguard-nutmon-", dir="/tmp")
        os.chmod(self.base, 0o755)
        self.marker = os.path.join(self.base, "nut-shutdown-marker")
        self.procs = procs
        conf = os.path.join(self.base, "upsmon.conf")
        with open(conf, "w") as f:
            f.write("RUN_AS_USER root\nMONITOR %s\nMINSUPPLIES 1\n"
                    'SHUTDOWNCMD "/usr/bin/touch %s"\n'
                    "POLLFREQ 1\nPOLLFREQALERT 1\nHOSTSYNC 15\nDEADTIME 4\nFINALDELAY 1\n"
                    "POWERDOWNFLAG %s/killpower\n" % (monitor, self.marker, self.base))
        os.chmod(conf, 0o600)
        self.env = {"NUT_CONFPATH": self.base, "NUT_STATEPATH": self.base,
                    "NUT_ALTPIDPATH": self.base}

    def start(self):
        assert os.access(NUT_UPSMON, os.X_OK), "%s missing (Debian nut-client)" % NUT_UPSMON
        self.p = self.procs.start([NUT_UPSMON, "-F"], env=self.env, name="nut-upsmon")
        return self.p

    def shut_down(self):
        return os.path.exists(self.marker)

    def cleanup(self):
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def fleet(procs, workdir, run_user):
    seq = os.path.join(str(workdir), "fail.seq")
    write_seq(seq, [("OL", 6), ("OB", 2), ("OB LB", 1)])
    peer = NutPeer(procs, workdir, {"ups1": seq}).start()
    ours = UpsmonEnv("ours")
    made = []

    def nut(role):
        user = "monprimary pmpass primary" if role == "primary" else \
            "monsecondary smpass secondary"
        n = NutUpsmon(procs, "ups1@127.0.0.1:%d 1 %s" % (peer.port, user))
        made.append(n)
        return n
    yield peer, ours, nut
    ours.cleanup()
    for n in made:
        n.cleanup()


def logins(peer):
    return nut_request(peer.port, "GET NUMLOGINS ups1")


def test_ours_primary_nut_secondary(fleet):
    peer, ours, nut = fleet
    sec = nut("secondary")
    ours.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % peer.port], hostsync=15)
    ours.start(procs=sec.procs)
    sec.start()
    wait_for(lambda: logins(peer) == "NUMLOGINS ups1 2", 10, what="both sessions")
    wait_for(sec.shut_down, 30, what="NUT's secondary to shut down on our FSD")
    t_nut = time.time()
    ours.wait_shutdown(20)
    assert time.time() - t_nut < 10, "our primary waited the whole HOSTSYNC"
    assert os.stat(sec.marker).st_mtime <= os.stat(ours.marker).st_mtime
    assert "SHUTDOWN_HOSTSYNC" in ours.types()
    assert "FSD" in nut_request(peer.port, "GET VAR ups1 ups.status")


def test_nut_primary_ours_secondary(fleet):
    peer, ours, nut = fleet
    prim = nut("primary")
    ours.write_conf(["ups1@127.0.0.1:%d 1 monsecondary smpass secondary" % peer.port],
                    hostsync=15)
    prim.start()
    ours.start(procs=prim.procs)
    wait_for(lambda: logins(peer) == "NUMLOGINS ups1 2", 10, what="both sessions")
    ours.wait_shutdown(30)
    t_ours = time.time()
    assert "FSD" in ours.types()
    wait_for(prim.shut_down, 20, what="NUT's primary to shut down after our logout")
    assert time.time() - t_ours < 10, "NUT's primary waited the whole HOSTSYNC"
    assert os.stat(ours.marker).st_mtime <= os.stat(prim.marker).st_mtime
