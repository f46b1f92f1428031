"""Differential tests: our upsc, upscmd and upsrw print exactly what NUT
2.8.0's clients print (stdout and exit status), against NUT's upsd and
against our upsd, for every device dump of the shared DDL set (NUT's
dummy-ups drivers, all in one upsd) plus a fake driver with ENUM and RANGE
variables and commands.
"""
import concurrent.futures
import json
import os
import shutil

import pytest

from clients_helpers import Servers, nut, open_dir, ours, same
from conftest import DDL_DIR, Procs, free_port

DEVS = sorted(f for f in os.listdir(DDL_DIR) if f.endswith(".dev"))
UPSES = {"d%02d" % i: os.path.join(DDL_DIR, f) for i, f in enumerate(DEVS)}


@pytest.fixture(scope="module")
def servers(run_user):
    # not under pytest's 0700 tree: our upsd runs as the unprivileged user
    d = open_dir("clients-diff")
    procs = Procs(d)
    try:
        yield Servers(procs, d, UPSES, run_user).start()
    finally:
        procs.stop_all()
        if not os.environ.get("KEEP_TEST_DIRS"):
            shutil.rmtree(d, ignore_errors=True)


def test_ddl_set_is_there():
    assert len(DEVS) >= 40, "expected the 40 shared DDL dumps in %s" % DDL_DIR


def each_device(fn):
    """fn(ups) for every UPS, a few at a time (each runs both clients)."""
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(fn, sorted(UPSES) + ["fake"]))


@pytest.mark.parametrize("server", ["nut", "ours"])
def test_upsc_every_device(servers, server):
    port = dict(servers.ports())[server]

    def check(ups):
        rc, out, _, _ = same("upsc", "%s@127.0.0.1:%d" % (ups, port))
        assert rc == 0 and ": " in out, ups
        # one variable, and one spelled in upper case (the server echoes it)
        same("upsc", "%s@127.0.0.1:%d" % (ups, port), "driver.name")
        same("upsc", "%s@127.0.0.1:%d" % (ups, port), "DRIVER.NAME")
    each_device(check)


@pytest.mark.parametrize("server", ["nut", "ours"])
def test_upsrw_and_upscmd_every_device(servers, server):
    port = dict(servers.ports())[server]

    def check(ups):
        same("upsrw", "%s@127.0.0.1:%d" % (ups, port))
        same("upscmd", "-l", "%s@127.0.0.1:%d" % (ups, port))
    each_device(check)


@pytest.mark.parametrize("server", ["nut", "ours"])
def test_enum_range_listing(servers, server):
    """The fake driver's ENUM STRING, ENUM NUMBER and RANGE variables."""
    port = dict(servers.ports())[server]
    rc, out, _, _ = same("upsrw", "fake@127.0.0.1:%d" % port)
    assert rc == 0
    assert "Type: ENUM STRING\nMaximum length: 12\nOption: \"enabled\" SELECTED\n" in out
    assert "Type: ENUM NUMBER\nOption: \"1\"\nOption: \"2\" SELECTED\n" in out
    assert "Type: RANGE NUMBER\nOption: \"130-150\" SELECTED\nOption: \"160-170\"\n" in out
    assert "[ups.id]\n" in out and "Maximum length: 16\nValue: rack 1\n" in out
    rc, out, _, _ = same("upscmd", "-l", "fake@127.0.0.1:%d" % port)
    assert out.startswith("Instant commands supported on UPS [fake]:\n\n")
    assert "test.battery.start" in out


@pytest.mark.parametrize("server", ["nut", "ours"])
def test_lists_and_errors(servers, server):
    port = dict(servers.ports())[server]
    host = "127.0.0.1:%d" % port
    rc, out, _, _ = same("upsc", "-l", host)
    assert sorted(out.split()) == sorted(list(UPSES) + ["fake"])
    same("upsc", "-L", host)
    # escaped quotes and '#' in values survive
    rc, out, _, _ = same("upsc", "fake@" + host, "ups.mfr")
    assert out == 'Fake "quoted" # maker\n'
    # NUT lists LOGIN'd clients to anyone; our upsd may refuse (their IPs)
    rc, out, err, _ = same("upsc", "-c", "d00@" + host)
    assert rc == 0 if server == "nut" else rc == 0 or "Access denied" in err
    cases = [
        ("upsc", "nosuch@" + host),
        ("upsc", "nosuch@" + host, "ups.status"),
        ("upsc", "d00@" + host, "ups.nosuch"),
        ("upsc", "d00@" + host, "nodot"),
        ("upscmd", "-l", "nosuch@" + host),
        ("upsrw", "nosuch@" + host),
        ("upscmd", "-u", "admin", "-p", "secret", "fake@" + host, "no.such.cmd"),
        ("upscmd", "-u", "admin", "-p", "wrong", "fake@" + host, "load.off"),
        ("upscmd", "-u", "nobody", "-p", "secret", "fake@" + host, "load.off"),
        ("upscmd", "-u", "admin", "-p", "secret", "fake@" + host, "oldname"),
        ("upscmd", "-u", "admin", "-p", "secret", "nosuch@" + host, "load.off"),
        ("upsrw", "-s", "ups.mfr=x", "-u", "admin", "-p", "secret", "fake@" + host),
        ("upsrw", "-s", "ups.nosuch=x", "-u", "admin", "-p", "secret", "fake@" + host),
        ("upsrw", "-s", "ups.id=x", "-u", "admin", "-p", "wrong", "fake@" + host),
        ("upsrw", "-s", "ups.beeper.status=loud", "-u", "admin", "-p", "secret", "fake@" + host),
        ("upsrw", "-s", "input.transfer.high=155", "-u", "admin", "-p", "secret",
         "fake@" + host),
        ("upsrw", "-s", "ups.id=much-too-long-for-16", "-u", "admin", "-p", "secret",
         "fake@" + host),
        ("upsrw", "-s", "oldname=1", "-u", "admin", "-p", "secret", "fake@" + host),
    ]
    for args in cases:
        rc, out, err, nerr = same(*args)
        assert rc == 1, args
        # the server's words reach the user the same way
        last_nut = [l for l in nerr.splitlines() if "Init SSL" not in l][-1]
        # (our upsd may drop a connection after repeated bad passwords)
        if "Server disconnected" not in last_nut:
            assert last_nut in err, (args, err, nerr)


def test_connection_and_syntax_errors():
    dead = free_port()
    cases = [
        ("upsc",), ("upsc", "ups@"), ("upsc", "-l", "127.0.0.1:notaport"),
        ("upsc", "ups@127.0.0.1:%d" % dead), ("upsc", "-l", "127.0.0.1:%d" % dead),
        ("upscmd",), ("upscmd", "-l", "ups@127.0.0.1:%d" % dead), ("upscmd", "ups@"),
        ("upsrw",), ("upsrw", "ups@127.0.0.1:%d" % dead), ("upsrw", "ups@"),
        ("upsc", "ups@nosuchhost.invalid"),
    ]
    for args in cases:
        rc, out, err, nerr = same(*args)
        if "Connection failure" in nerr:
            assert "Connection failure: Connection refused" in err


@pytest.mark.parametrize("server", ["nut", "ours"])
def test_tracking_results(servers, server):
    """upscmd -w and upsrw -w report the driver's real answer."""
    port = dict(servers.ports())[server]
    ups = "fake@127.0.0.1:%d" % port
    auth = ["-u", "admin", "-p", "secret"]
    expect = {
        "test.battery.start": "SUCCESS",
        "beeper.disable": "ERR UNKNOWN",
        "beeper.enable": "ERR INVALID-ARGUMENT",
        "test.battery.stop": "ERR FAILED",
    }
    for cmd, word in expect.items():
        rc, out, err, nerr = same("upscmd", "-w", *auth, ups, cmd)
        assert rc == 0
        assert err.splitlines()[-1] == word, (cmd, err)
        assert [l for l in nerr.splitlines() if "Init SSL" not in l][-1] == word
    # a command parameter travels to the driver
    same("upscmd", "-w", *auth, ups, "load.off", "5")
    for var, word in [("ups.delay.shutdown=25", "SUCCESS"), ("ups.delay.start=35", "ERR FAILED"),
                      ("input.transfer.low=85", "ERR UNKNOWN")]:
        rc, out, err, nerr = same("upsrw", "-w", "-s", var, *auth, ups)
        assert err.splitlines()[-1] == word, (var, err)
    # without -w the answer is the plain OK
    rc, out, err, _ = same("upscmd", *auth, ups, "test.battery.start")
    assert err.splitlines()[-1] == "OK"
    # and the variable really changed
    rc, out, _, _ = same("upsc", ups, "ups.delay.shutdown")
    assert out == "25\n"


@pytest.mark.parametrize("server", ["nut", "ours"])
def test_nut_dummy_ups_tracking(servers, server):
    """NUT's own dummy-ups: SET answers SUCCESS, its load.off answers UNKNOWN."""
    port = dict(servers.ports())[server]
    ups = "d03@127.0.0.1:%d" % port
    auth = ["-u", "admin", "-p", "secret"]
    rc, out, err, nerr = same("upscmd", "-w", *auth, ups, "load.off")
    assert err.splitlines()[-1] == "ERR UNKNOWN"
    rc, out, err, nerr = same("upsrw", "-w", "-s", "ups.delay.start=31", *auth, ups)
    assert err.splitlines()[-1] in ("SUCCESS", "ERR UNKNOWN")
    assert err.splitlines()[-1] == [l for l in nerr.splitlines() if "Init" not in l][-1]


@pytest.mark.parametrize("server", ["nut", "ours"])
def test_upsc_json(servers, server):
    """-j: NUT 2.8.5's JSON layouts (object, array, string, error objects)."""
    port = dict(servers.ports())[server]
    host = "127.0.0.1:%d" % port
    rc, out, err = ours("upsc", "-j", "fake@" + host)
    assert rc == 0
    data = json.loads(out)
    rc2, text, _ = nut("upsc", "fake@" + host)
    pairs = [l.split(": ", 1) for l in text.splitlines()]
    assert data == dict(pairs)
    # the exact layout: "{\n", '  "k": "v"' joined by ",\n", "\n}\n"
    assert out == "{\n" + ",\n".join("  %s: %s" % (json.dumps(k), json.dumps(v))
                                      for k, v in pairs) + "\n}\n"
    rc, out, err = ours("upsc", "-j", "-l", host)
    names = nut("upsc", "-l", host)[1].split()
    assert out == "[\n" + ",\n".join("  " + json.dumps(n) for n in names) + "\n]\n"
    rc, out, err = ours("upsc", "-j", "-L", host)
    assert json.loads(out)["fake"] == "Fake UPS"
    rc, out, err = ours("upsc", "-j", "fake@" + host, "ups.mfr")
    assert out == '"Fake \\"quoted\\" # maker"\n'
    assert json.loads(out) == 'Fake "quoted" # maker'
    # errors: one line for a single value, three for the variable list
    rc, out, err = ours("upsc", "-j", "fake@" + host, "ups.nosuch")
    assert (rc, out) == (1, '{"error": "Variable not supported by UPS"}\n')
    assert "Error: Variable not supported by UPS" in err
    rc, out, err = ours("upsc", "-j", "nosuch@" + host)
    assert (rc, out) == (1, '{\n  "error": "Unknown UPS"\n}\n')
    rc, out, err = ours("upsc", "-j", "fake@127.0.0.1:%d" % free_port())
    assert (rc, out) == (1, '{"error": "Connection failure: Connection refused"}\n')
    rc, out, err = ours("upsc", "-j", "ups@")
    assert rc == 1 and json.loads(out) == {
        "error": "invalid UPS definition.\nRequired format: upsname[@hostname[:port]]"}
    rc, out, err = ours("upsc", "-j", "-c", "fake@" + host)
    if rc == 0:
        assert out == "[\n\n]\n"  # NUT 2.8.5 prints an empty list this way
    else:
        assert server == "ours" and json.loads(out)["error"].startswith("Access denied")
