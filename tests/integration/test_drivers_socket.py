"""Our driver core and dummy-ups on their own: the driver socket protocol,
several clients, bad clients, definition files, options."""
import os
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import our_bin, wait_for, wait_for_path
from drivers_helpers import DriverSocket, our_driver, write_ups_conf

BASE_DEV = """ups.status: OL
battery.charge: 90
battery.charge.low: 20
battery.runtime: 1000
battery.runtime.low: 120
ups.id: first
input.sensitivity: H
"""


def make_dir(workdir, sections, files=None, glob=""):
    d = str(workdir)
    for name, text in (files or {"u.dev": BASE_DEV}).items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    write_ups_conf(os.path.join(d, "ups.conf"), sections, glob)
    return d


def start(procs, workdir, ups="u", sections=None, files=None, args=("-u", "root")):
    d = make_dir(workdir, sections or {ups: {"driver": "dummy-ups", "port": "u.dev"}}, files)
    p = our_driver(procs, d, ups, args)
    path = os.path.join(d, "dummy-ups-%s" % ups)
    wait_for_path(path)
    return p, path


@pytest.fixture
def pubdir():
    """A directory every user can reach (pytest's base directory is 0700
    root, which a driver that dropped to the run-as user cannot cross)."""
    d = tempfile.mkdtemp(prefix="upsguard-drivers-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def values(dump):
    out = {}
    for l in dump:
        if l.startswith("SETINFO "):
            _, name, val = l.split(" ", 2)
            out[name] = val[1:-1]
    return out


def test_dump_order_and_flags(procs, workdir):
    p, path = start(procs, workdir)
    s = DriverSocket(path)
    dump = s.dump()
    # NUT's order: per variable SETINFO, [SETAUX], [SETFLAGS]; then ADDCMD, DATAOK, DUMPDONE
    assert dump[-2:] == ["DATAOK", "DUMPDONE"]
    cmds = [l for l in dump if l.startswith("ADDCMD")]
    assert "ADDCMD load.off" in cmds and "ADDCMD driver.reload" in cmds
    first_cmd = dump.index(cmds[0])
    assert all(l.startswith("ADDCMD") for l in dump[first_cmd:-2])
    names = [l.split()[1] for l in dump if l.startswith("SETINFO")]
    assert names == sorted(names, key=str.lower)
    i = dump.index('SETINFO ups.id "first"')
    assert dump[i + 1:i + 3] == ["SETAUX ups.id 16", "SETFLAGS ups.id RW STRING"]
    i = dump.index('SETINFO battery.charge "90"')
    assert dump[i + 1] == "SETFLAGS battery.charge RW"
    # an unknown variable is RW STRING:32 as NUT's dummy-ups makes it
    i = dump.index('SETINFO input.sensitivity "H"')
    assert dump[i + 1:i + 3] == ["SETAUX input.sensitivity 1", "SETFLAGS input.sensitivity RW STRING"]
    v = values(dump)
    assert v["device.type"] == "ups" and v["driver.name"] == "dummy-ups"
    assert v["driver.parameter.port"] == "u.dev"
    # socket 0660 and a pid file beside it holding the driver's pid
    st = os.stat(path)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660
    with open(path + ".pid") as f:
        assert int(f.read()) == p.pid
    s.send("GETPID")
    assert s.line() == "PID %d" % p.pid
    s.send("PING")
    assert s.line() == "PONG"
    s.send("DUMPVALUE ups.id")
    assert s.line() == 'SETINFO ups.id "first"'
    s.send("DUMPSTATUS")
    assert s.line() == 'SETINFO ups.status "OL"'
    s.send("LOGOUT")
    assert s.line() == "OK Goodbye"
    assert s.closed()
    # a second driver for the same UPS refuses to take the live socket
    r = subprocess.run([our_bin("dummy-ups"), "-a", "u", "-F", "-u", "root"],
                       env=dict(os.environ, NUT_CONFPATH=str(workdir),
                                NUT_STATEPATH=str(workdir)),
                       capture_output=True, text=True, timeout=10)
    assert r.returncode != 0 and "another driver" in r.stderr
    s = DriverSocket(path)
    s.send("PING")
    assert s.line() == "PONG"


def test_broadcast_tracking_several_clients(procs, workdir):
    p, path = start(procs, workdir)
    a, b, c = DriverSocket(path), DriverSocket(path), DriverSocket(path)
    for x in (a, b, c):
        x.dump()
    c.send("NOBROADCAST")
    c.send("PING")
    assert c.line() == "PONG"
    a.send('SET ups.id "new \\"id\\" \\#1" TRACKING abc-1')
    got_a = a.until(lambda l: l.startswith("TRACKING"))
    assert got_a[0] == 'SETINFO ups.id "new \\"id\\" \\#1"'
    assert got_a[-1] == "TRACKING abc-1 0"
    # b sees the update, not the tracking result; c asked for no broadcasts
    assert b.line() == 'SETINFO ups.id "new \\"id\\" \\#1"'
    c.send("PING")
    assert c.line() == "PONG"
    # INSTCMD with tracking: load.off is simulated, an unknown command is 1
    a.send("INSTCMD load.off TRACKING t-2")
    assert a.until(lambda l: l.startswith("TRACKING"))[-1] == "TRACKING t-2 0"
    assert b.line() == 'SETINFO ups.status "OFF"'
    a.send("INSTCMD no.such.cmd TRACKING t-3")
    assert a.line() == "TRACKING t-3 1"
    # an empty value deletes the variable
    a.send('SET ups.id "" TRACKING t-4')
    assert a.until(lambda l: l.startswith("TRACKING")) == ["DELINFO ups.id", "TRACKING t-4 0"]
    assert b.line() == "DELINFO ups.id"
    # driver.killpower is not offered without allow_killpower
    a.send("INSTCMD driver.killpower TRACKING t-5")
    assert a.line() == "TRACKING t-5 1"


def test_bad_clients_are_dropped_alone(procs, workdir):
    p, path = start(procs, workdir)
    good = DriverSocket(path)
    good.dump()
    # an over-long line
    big = DriverSocket(path)
    big.s.sendall(b"PING " + b"x" * 5000 + b"\n")
    assert big.closed()
    # binary garbage
    junk = DriverSocket(path)
    junk.s.sendall(bytes(range(1, 32)) + b"\xff\xfe\n")
    assert junk.closed()
    # repeated unknown commands
    bad = DriverSocket(path)
    bad.s.sendall(b"FROB\nFROB\nFROB\nFROB\nFROB\n")
    assert bad.closed()
    # a client that never reads: its output grows past the bound
    lazy = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    lazy.connect(path)
    lazy.sendall(b"DUMPALL\n" * 3000)
    good.send("PING")
    assert good.line() == "PONG"
    def lazy_dropped():
        try:
            lazy.setblocking(False)
            while True:
                chunk = lazy.recv(1 << 20)
                if not chunk:
                    return True
        except BlockingIOError:
            return False
        except OSError:
            return True
    # the lazy client is cut off while the good one keeps working
    wait_for(lazy_dropped, timeout=10, what="the non-reading client to be dropped")
    good.send("PING")
    assert good.line() == "PONG"
    assert p.alive()


def test_client_limit(procs, workdir):
    p, path = start(procs, workdir)
    conns = [DriverSocket(path) for _ in range(70)]
    # the first 64 are served; the rest are closed at once
    conns[0].send("PING")
    assert conns[0].line() == "PONG"
    assert conns[-1].closed(timeout=3)
    for c in conns:
        c.close()
    s = DriverSocket(path)
    s.send("PING")
    assert s.line() == "PONG"


def test_definition_file_pitfalls_and_reread(procs, workdir):
    text = ("battery.charge: 50   #COMMENT: end of line\n"
            "ups.serial: AB#CD\n"
            "bad line here\n"
            "ups.mfr: ACME\n"
            "ups.model: caf\xc3\xa9  model\n"
            "driver.name: spoofed\n"
            "ups.alarm:\n"
            "ups.status: OB LB\n")
    p, path = start(procs, workdir, files={"u.dev": text})
    s = DriverSocket(path)
    v = values(s.dump())
    assert v["battery.charge"] == "50"
    assert v["ups.serial"] == "AB"              # '#' starts a comment, as in NUT
    assert v["ups.model"] == "caf model"       # non-ASCII dropped, words re-joined
    assert v["device.mfr"] == "ACME" and v["device.model"] == "caf model"
    assert v["driver.name"] == "dummy-ups"
    assert v["ups.alarm"] == "caf model"       # NUT 2.8 repeats the previous value
    assert v["ups.status"] == "OB LB"
    wait_for(lambda: "u.dev:3:" in p.output(), what="file:line report")
    assert "expected 'name: value'" in p.output()
    # dummy-once: a changed file is read again, a SET persists until then
    s.send("SET battery.charge 77 TRACKING x")
    assert s.until(lambda l: l.startswith("TRACKING"))[-1] == "TRACKING x 0"
    time.sleep(2.5)
    s.send("DUMPVALUE battery.charge")
    assert s.line() == 'SETINFO battery.charge "77"'
    with open(os.path.join(str(workdir), "u.dev"), "a") as f:
        f.write("battery.charge: 42\nALARM replace battery\n")
    os.utime(os.path.join(str(workdir), "u.dev"), (time.time() + 5, time.time() + 5))
    lines = s.until(lambda l: l == 'SETINFO ups.status "ALARM OB LB"', limit=100)
    assert 'SETINFO battery.charge "42"' in lines
    assert 'SETINFO ups.alarm "replace battery"' in lines
    assert p.alive()


def test_seq_loop_timer(procs, workdir):
    seq = "ups.status: OL\nbattery.charge: 100\nTIMER 1\nups.status: OB\nbattery.charge: 80\nTIMER 1\n"
    d = make_dir(workdir, {"s": {"driver": "dummy-ups", "port": "u.seq"}}, {"u.seq": seq})
    our_driver(procs, d, "s", ("-u", "root"))
    path = os.path.join(d, "dummy-ups-s")
    wait_for_path(path)
    s = DriverSocket(path)
    s.dump()
    seen = s.until(lambda l: l == 'SETINFO ups.status "OB"', limit=50)
    seen += s.until(lambda l: l == 'SETINFO ups.status "OL"', limit=50)
    seen += s.until(lambda l: l == 'SETINFO battery.charge "100"', limit=50)
    assert 'SETINFO battery.charge "80"' in seen and 'SETINFO battery.charge "100"' in seen


def test_missing_file_fails(procs, workdir):
    d = make_dir(workdir, {"m": {"driver": "dummy-ups", "port": "nosuch.dev"}})
    r = subprocess.run([our_bin("dummy-ups"), "-a", "m", "-F", "-u", "root"],
                       env=dict(os.environ, NUT_CONFPATH=d, NUT_STATEPATH=d),
                       capture_output=True, text=True, timeout=10)
    assert r.returncode != 0
    assert "nosuch.dev" in r.stderr and "No such file" in r.stderr
    assert not os.path.exists(os.path.join(d, "dummy-ups-m"))
    # background start reports the failure through its exit status too
    r = subprocess.run([our_bin("dummy-ups"), "-a", "m", "-u", "root"],
                       env=dict(os.environ, NUT_CONFPATH=d, NUT_STATEPATH=d),
                       capture_output=True, text=True, timeout=10)
    assert r.returncode != 0


def test_options_override_default_ignorelb_killpower(procs, workdir):
    sections = {"o": {"driver": "dummy-ups", "port": "u.dev", "ignorelb": None,
                      "allow_killpower": None, "override.battery.charge.low": "95",
                      "default.ups.location": "rack 3", "default.battery.charge": "1",
                      "pollinterval": "1"}}
    p, path = start(procs, workdir, "o", sections)
    s = DriverSocket(path)
    v = values(s.dump())
    assert v["battery.charge.low"] == "95"          # override wins over the file
    assert v["ups.location"] == "rack 3"            # default fills a gap
    assert v["battery.charge"] == "90"              # default loses to the device
    assert v["ups.status"] == "OL LB"               # ignorelb: 90 < 95
    assert v["driver.flag.ignorelb"] == "enabled"
    s.send("SET battery.charge.low 10 TRACKING o1")
    assert s.until(lambda l: l.startswith("TRACKING"))[-1] == "TRACKING o1 3"
    s.send("DUMPVALUE battery.charge.low")
    assert s.line() == 'SETINFO battery.charge.low "95"'
    s.send("SET ups.status \"OB LB\" TRACKING o2")
    lines = s.until(lambda l: l.startswith("TRACKING"))
    # the device's LB is not trusted with ignorelb; charge < low adds it
    assert 'SETINFO ups.status "OB LB"' in lines
    s.send("INSTCMD driver.killpower TRACKING k1")
    assert s.until(lambda l: l.startswith("TRACKING"))[-1] == "TRACKING k1 0"
    s.send("INSTCMD driver.exit TRACKING e1")
    assert s.until(lambda l: l.startswith("TRACKING"))[-1] == "TRACKING e1 0"
    p.p.wait(5)
    assert p.p.returncode == 0
    assert not os.path.exists(path)


def test_check_print_help(procs, workdir):
    d = make_dir(workdir, {"c": {"driver": "dummy-ups", "port": "u.dev", "frobnicate": "1"},
                        "ok": {"driver": "dummy-ups", "port": "u.dev", "pollinterval": "5"}})
    env = dict(os.environ, NUT_CONFPATH=d, NUT_STATEPATH=d)
    r = subprocess.run([our_bin("dummy-ups"), "-a", "c", "-t"], env=env, capture_output=True,
                       text=True)
    assert r.returncode == 1 and "frobnicate" in r.stderr and "ups.conf:" in r.stderr
    r = subprocess.run([our_bin("dummy-ups"), "-a", "ok", "-t"], env=env, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([our_bin("dummy-ups"), "-a", "ok", "-T"], env=env, capture_output=True,
                       text=True)
    assert r.returncode == 0 and "pollinterval = 5" in r.stdout
    r = subprocess.run([our_bin("dummy-ups"), "-a", "nosuch", "-t"], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 1 and "nosuch" in r.stderr
    r = subprocess.run([our_bin("dummy-ups"), "-h"], capture_output=True, text=True)
    assert r.returncode == 0 and "Sandbox manifest" in r.stdout


def test_drops_to_run_user(procs, pubdir, run_user):
    name, uid, gid = run_user
    os.chown(pubdir, uid, gid)
    p, path = start(procs, pubdir, args=("-u", name))
    def status():
        with open("/proc/%d/status" % p.pid) as f:
            return f.read()
    # the socket exists before the drop (device first, then sandbox)
    wait_for(lambda: re.search(r"^Uid:\s+%d\s+%d" % (uid, uid), status(), re.M),
             what="the driver to drop to %s" % name)
    status = status()
    assert re.search(r"^NoNewPrivs:\s+1", status, re.M)
    assert re.search(r"^CapEff:\s+0+$", status, re.M)
    st = os.stat(path)
    assert st.st_uid == uid
    s = DriverSocket(path)
    assert values(s.dump())["ups.id"] == "first"


def test_reload_and_secrets(procs, workdir):
    sections = {"r": {"driver": "dummy-ups", "port": "u.dev", "override.ups.id": "one",
                      "password": "hunter2", "username": "mon"}}
    p, path = start(procs, workdir, "r", sections)
    s = DriverSocket(path)
    v = values(s.dump())
    assert v["ups.id"] == "one"
    # a repeater-style password is never published
    assert "hunter2" not in " ".join(v.values())
    assert v["driver.parameter.username"] == "mon"
    # driver.reload applies a changed override
    sections["r"]["override.ups.id"] = "two"
    write_ups_conf(os.path.join(str(workdir), "ups.conf"), sections)
    s.send("INSTCMD driver.reload TRACKING r1")
    lines = s.until(lambda l: l.startswith("TRACKING"))
    assert lines[-1] == "TRACKING r1 0" and 'SETINFO ups.id "two"' in lines
    # a port change needs a restart: reload-or-error says so
    sections["r"]["port"] = "other.dev"
    write_ups_conf(os.path.join(str(workdir), "ups.conf"), sections)
    s.send("INSTCMD driver.reload-or-error TRACKING r2")
    assert s.until(lambda l: l.startswith("TRACKING"))[-1] == "TRACKING r2 3"
    # a broken ups.conf is refused, the driver keeps running
    with open(os.path.join(str(workdir), "ups.conf"), "w") as f:
        f.write("[r\n  driver = \n")
    s.send("INSTCMD driver.reload TRACKING r3")
    assert s.until(lambda l: l.startswith("TRACKING"))[-1] == "TRACKING r3 3"
    s.send("PING")
    assert s.line() == "PONG"
    assert p.alive()
