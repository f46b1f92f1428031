"""upsmon scenarios against a real upsd: NUT 2.8.0's (Debian) and ours,
both fed by NUT's dummy-ups with .seq/.dev files.

Timings are short (POLLFREQ 1, HOSTSYNC 3, FINALDELAY 1) so the whole file
runs in a couple of minutes.  Each upsmon runs as root, so its [net] and
[notify] drop to the run-as user; SHUTDOWNCMD is `touch <marker>`, allowed
by a root-owned upswrap filter and by nothing else.
"""
import os
import time

import pytest

from conftest import nut_request, wait_for
from nut_peer import NutPeer
from upsmon_helpers import UpsdServer, UpsmonEnv, write_dev, write_seq

SERVERS = ["nut", "ours"]


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


@pytest.fixture
def server(procs, request):
    """server(upses) starts NUT's dummy-ups drivers and the upsd under test."""
    made = []

    def make(upses):
        srv = UpsdServer(procs, request.param, upses).start()
        made.append(srv)
        return srv
    yield make
    for srv in made:
        srv.cleanup()


def nut_server(procs, workdir, upses):
    return NutPeer(procs, workdir, upses).start()


def peer_file(peer, ups):
    """The peer's own copy of a UPS's .dev/.seq file (NutPeer copies them)."""
    return peer.files[ups] if hasattr(peer, "files") else peer.upses[ups][0]


def status(port, ups):
    return nut_request(port, "GET VAR %s ups.status" % ups)


@pytest.mark.parametrize("server", SERVERS, indirect=True)
def test_primary_shutdown_on_low_battery(procs, workdir, menv, server):
    """OL -> OB -> OB LB: the primary sets FSD, runs SHUTDOWNCMD and writes
    POWERDOWNFLAG with NUT's magic."""
    seq = os.path.join(str(workdir), "fail.seq")
    write_seq(seq, [("OL", 3), ("OB", 2), ("OB LB", 1)])
    peer = server({"ups1": seq})
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


@pytest.mark.parametrize("server", SERVERS, indirect=True)
def test_secondary_and_hostsync(procs, workdir, menv, server):
    """Primary and secondary on one UPS: the secondary shuts down on FSD and
    logs out; the primary waits for that (NUMLOGINS <= 1, well before
    HOSTSYNC) and then shuts down itself."""
    seq = os.path.join(str(workdir), "fail.seq")
    write_seq(seq, [("OL", 3), ("OB", 1), ("OB LB", 1)])
    peer = server({"ups1": seq})
    prim, sec = menv("primary"), menv("secondary")
    prim.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % peer.port], hostsync=15)
    sec.write_conf(["ups1@127.0.0.1:%d 1 monsecondary smpass secondary" % peer.port],
                   hostsync=15, finaldelay=2)
    prim.start(procs)
    sec.start(procs)
    wait_for(lambda: nut_request(peer.port, "GET NUMLOGINS ups1") == "NUMLOGINS ups1 2", 10,
             what="both upsmon sessions")
    sec.wait_shutdown(30)
    t_sec = time.time()
    prim.wait_shutdown(30)
    t_prim = time.time()
    assert "FSD" in sec.types() and "SHUTDOWN" in sec.types()
    assert "SHUTDOWN_HOSTSYNC" in prim.types()
    assert os.stat(sec.marker).st_mtime <= os.stat(prim.marker).st_mtime
    fsd_seen = os.stat(sec.marker).st_mtime
    # the primary did not simply time out: it went on soon after the secondary left
    assert t_prim - t_sec < 10, "primary waited the full HOSTSYNC"
    assert os.stat(prim.marker).st_mtime - fsd_seen < 12


@pytest.mark.parametrize("server", ["nut"], indirect=True)
def test_secondary_waits_for_primary_then_fsd(procs, workdir, menv, server):
    """A secondary seeing OB LB waits (HOSTSYNC) for the primary's FSD; an
    FSD set by an admin makes it shut down at once."""
    dev = os.path.join(str(workdir), "ups1.dev")
    write_dev(dev, "OB LB")
    peer = server({"ups1": dev})
    dev = peer_file(peer, "ups1")
    sec = menv("secondary")
    sec.write_conf(["ups1@127.0.0.1:%d 1 monsecondary smpass secondary" % peer.port],
                   hostsync=30)
    sec.start(procs)
    sec.wait_event("LOWBATT")
    time.sleep(2)
    assert not sec.shut_down()
    import socket
    with socket.create_connection(("127.0.0.1", peer.port), timeout=3) as s:
        s.sendall(b"USERNAME admin\nPASSWORD secret\nFSD ups1\n")
        buf = b""
        while buf.count(b"\n") < 3:
            buf += s.recv(1024)
        assert buf.splitlines()[2].startswith(b"OK FSD-SET")
    sec.wait_shutdown(15)
    assert "FSD" in sec.types()


@pytest.mark.parametrize("server", SERVERS, indirect=True)
def test_brief_blip_shuts_nothing_down(procs, workdir, menv, server):
    seq = os.path.join(str(workdir), "blip.seq")
    write_seq(seq, [("OL", 3), ("OB", 2), ("OL", 1)])
    peer = server({"ups1": seq})
    e = menv()
    e.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % peer.port])
    p = e.start(procs)
    e.wait_event("ONBATT")
    e.wait_event("ONLINE")
    time.sleep(2)
    assert not e.shut_down() and p.alive()
    assert "FSD" not in status(peer.port, "ups1")


@pytest.mark.parametrize("server", SERVERS, indirect=True)
def test_deadtime_promotes_silent_on_battery(procs, workdir, menv, server):
    """OB, then upsd goes away: after DEADTIME the UPS counts as OB LB."""
    dev = os.path.join(str(workdir), "ups1.dev")
    write_dev(dev, "OB")
    peer = server({"ups1": dev})
    dev = peer_file(peer, "ups1")
    e = menv()
    e.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % peer.port], deadtime=4)
    e.start(procs)
    e.wait_event("ONBATT")
    peer.stop_upsd()
    t0 = time.monotonic()
    e.wait_event("COMMBAD")
    e.wait_shutdown(20)
    assert time.monotonic() - t0 >= 3.0, "shut down before DEADTIME"


@pytest.mark.parametrize("server", SERVERS, indirect=True)
def test_nocomm_commbad_commok(procs, workdir, menv, server):
    dev = os.path.join(str(workdir), "ups1.dev")
    write_dev(dev, "OL")
    peer = server({"ups1": dev})
    dev = peer_file(peer, "ups1")
    e = menv()
    e.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % peer.port],
                 extra="NOCOMMWARNTIME 2")
    e.start(procs)
    wait_for(lambda: nut_request(peer.port, "GET NUMLOGINS ups1") == "NUMLOGINS ups1 1", 10)
    peer.stop_upsd()
    e.wait_event("COMMBAD")
    e.wait_event("NOCOMM", 10)
    e.wait_event("NOCOMM", 10, count=2)  # repeats every NOCOMMWARNTIME
    assert e.types().count("COMMBAD") == 1
    # silent longer than DEADTIME (4 s) while on line: no shutdown
    assert not e.shut_down()
    peer.restart_upsd()
    e.wait_event("COMMOK", 15)
    assert "COMMOK" not in e.types()[:e.types().index("COMMBAD")]  # not at start-up
    assert not e.shut_down()


@pytest.mark.parametrize("server", ["nut"], indirect=True)
def test_replbatt_repeats(procs, workdir, menv, server):
    dev = os.path.join(str(workdir), "ups1.dev")
    write_dev(dev, "OL RB")
    peer = server({"ups1": dev})
    dev = peer_file(peer, "ups1")
    e = menv()
    e.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % peer.port],
                 extra="RBWARNTIME 2")
    e.start(procs)
    e.wait_event("REPLBATT")
    e.wait_event("REPLBATT", 10, count=3)
    ev = [x for x in e.events() if x[0] == "REPLBATT"][0]
    assert ev[3] == "UPS ups1@127.0.0.1 battery needs to be replaced"


@pytest.mark.parametrize("server", SERVERS, indirect=True)
def test_upsd_restart_while_on_battery(procs, workdir, menv, server):
    """upsd restarts within DEADTIME while OB: nothing shuts down; the
    session is re-established; a later OB LB still shuts down."""
    dev = os.path.join(str(workdir), "ups1.dev")
    write_dev(dev, "OB")
    peer = server({"ups1": dev})
    dev = peer_file(peer, "ups1")
    e = menv()
    e.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % peer.port], deadtime=8)
    e.start(procs)
    e.wait_event("ONBATT")
    port = peer.port
    peer.stop_upsd()
    e.wait_event("COMMBAD")
    peer.restart_upsd()
    e.wait_event("COMMOK", 15)
    wait_for(lambda: nut_request(port, "GET NUMLOGINS ups1") == "NUMLOGINS ups1 1", 10,
             what="upsmon logged in again")
    time.sleep(2)
    assert not e.shut_down()
    assert e.types().count("ONBATT") == 1
    write_dev(dev, "OB LB")
    e.wait_shutdown(20)
    assert "FSD" in status(port, "ups1")


@pytest.mark.parametrize("server,case", [("nut", "two-needed"), ("nut", "one-enough"),
                                         ("ours", "weighted")],
                         indirect=["server"])
def test_minsupplies_power_values(procs, workdir, menv, server, case):
    a = os.path.join(str(workdir), "a.dev")
    b = os.path.join(str(workdir), "b.dev")
    write_dev(a, "OL")
    write_dev(b, "OL")
    peer = server({"upsa": a, "upsb": b})
    a, b = peer_file(peer, "upsa"), peer_file(peer, "upsb")
    pv = {"two-needed": (1, 1, 2), "one-enough": (1, 1, 1), "weighted": (2, 1, 2)}[case]
    e = menv()
    e.write_conf(["upsa@127.0.0.1:%d %d monprimary pmpass primary" % (peer.port, pv[0]),
                  "upsb@127.0.0.1:%d %d monprimary pmpass primary" % (peer.port, pv[1])],
                 extra="MINSUPPLIES %d" % pv[2])
    e.start(procs)
    wait_for(lambda: nut_request(peer.port, "GET NUMLOGINS upsb") == "NUMLOGINS upsb 1", 10)
    write_dev(b, "OB LB")
    e.wait_event("LOWBATT")
    if case == "two-needed":
        e.wait_shutdown(15)
        return
    # upsa alone carries MINSUPPLIES: no shutdown while it is on line
    time.sleep(2.5)
    assert not e.shut_down()
    write_dev(a, "OB LB")
    e.wait_shutdown(15)


def test_notifycmd_gets_one_literal_argument(procs, workdir, menv):
    """Shell metacharacters in NOTIFYMSG and in the device's alarm text reach
    NOTIFYCMD as one literal argument; no shell ever runs them."""
    pwned = os.path.join("/tmp", "upsguard-pwned-%d" % os.getpid())
    dev = os.path.join(str(workdir), "ups1.dev")
    alarm = "$(touch %s); \\\"q\\\" 'x' `id` && echo ;" % pwned
    write_dev(dev, "OL ALARM", {"ups.alarm": '"%s"' % alarm})
    peer = nut_server(procs, workdir, {"ups1": dev})
    dev = peer_file(peer, "ups1")
    e = menv()
    msg = 'UPS %s: $(touch ' + pwned + ') \\"quoted\\" ; rm -rf / #x [%s]'
    e.write_conf(["ups1@127.0.0.1:%d 1 monprimary pmpass primary" % peer.port],
                 extra='NOTIFYMSG ALARM "%s"' % msg.replace("#", "\\#"))
    e.start(procs)
    e.wait_event("ALARM")
    ev = [x for x in e.events() if x[0] == "ALARM"][0]
    assert ev[2] == "1", "NOTIFYCMD got %s arguments" % ev[2]
    expect_alarm = alarm.replace('\\"', '"')
    assert ev[3] == ('UPS ups1@127.0.0.1: $(touch %s) "quoted" ; rm -rf / #x [%s]'
                     % (pwned, expect_alarm))
    assert not os.path.exists(pwned)
