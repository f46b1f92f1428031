"""dummy-ups repeater mode: chains through NUT's upsd and ours, SET and
INSTCMD forwarded upstream with their real TRACKING result, STARTTLS with
verification and credentials."""
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import free_port, our_bin, wait_for, wait_for_path, wait_for_port, wait_for_ups
from drivers_helpers import Session, our_driver, write_ups_conf
from nut_peer import NUT_UPSD, NUT_UPSRW, NUT_UPSCMD
from upsd_helpers import share_sockets, write_users

USERS = """[admin]
  password = secret
  actions = SET FSD
  instcmds = ALL
"""

DEV = """ups.status: OL
battery.charge: 88
battery.charge.low: 20
ups.id: origin
ups.mfr: Source Inc
"""


@pytest.fixture
def tmpd():
    """Per-test directory under /tmp that the unprivileged daemons can reach."""
    d = tempfile.mkdtemp(prefix="upsguard-rep-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def subdir(base, name):
    d = os.path.join(base, name)
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    return d


def source_driver(procs, base):
    """Our dummy-ups on a .dev file: the real device at the top."""
    d = subdir(base, "src")
    with open(os.path.join(d, "u.dev"), "w") as f:
        f.write(DEV)
    write_ups_conf(os.path.join(d, "ups.conf"), {
        "src": {"driver": "dummy-ups", "port": "u.dev", "override.battery.charge.low": "30"}})
    our_driver(procs, d, "src", ("-u", "root"))
    wait_for_path(os.path.join(d, "dummy-ups-src"))
    return d


def nut_upsd(procs, d, ups_sections):
    """NUT's upsd over the driver sockets in d."""
    port = free_port()
    write_ups_conf(os.path.join(d, "ups.conf"), ups_sections)
    with open(os.path.join(d, "upsd.conf"), "w") as f:
        f.write("LISTEN 127.0.0.1 %d\nSTATEPATH %s\n" % (port, d))
    with open(os.path.join(d, "upsd.users"), "w") as f:
        f.write(USERS)
    procs.start([NUT_UPSD, "-F", "-u", "root"], env={"NUT_CONFPATH": d, "NUT_STATEPATH": d},
                name="nut-upsd-%s" % os.path.basename(d))
    wait_for_port(port)
    return port


def our_upsd(procs, d, ups_sections, extra=""):
    """Our upsd (drops to the run-as user) over the driver sockets in d."""
    port = free_port()
    write_ups_conf(os.path.join(d, "ups.conf"), ups_sections)
    with open(os.path.join(d, "upsd.conf"), "w") as f:
        f.write("LISTEN 127.0.0.1 %d\n%s" % (port, extra))
    write_users(os.path.join(d, "upsd.users"), USERS)
    share_sockets(d)
    procs.start([our_bin("upsd"), "-F"], env={"NUT_CONFPATH": d, "NUT_STATEPATH": d},
                name="our-upsd-%s" % os.path.basename(d))
    wait_for_port(port)
    return port


def repeater(procs, base, target, extra=None, args=("-u", "root")):
    d = subdir(base, "rep")
    keys = {"driver": "dummy-ups", "port": target, "username": "admin", "password": "secret",
            "pollinterval": "1"}
    keys.update(extra or {})
    write_ups_conf(os.path.join(d, "ups.conf"), {"rep": keys})
    p = our_driver(procs, d, "rep", args)
    wait_for_path(os.path.join(d, "dummy-ups-rep"))
    return d, keys, p


def get(port, ups, var):
    s = Session(port)
    try:
        return s.request("GET VAR %s %s" % (ups, var))
    finally:
        s.close()


def tracked(port, ups, line, timeout=15):
    """Log in, SET TRACKING ON, send line (SET VAR / INSTCMD) and wait for
    the final TRACKING result."""
    s = Session(port)
    try:
        assert s.request("USERNAME admin") == "OK"
        assert s.request("PASSWORD secret") == "OK"
        assert s.request("SET TRACKING ON") == "OK"
        r = s.request(line)
        assert r.startswith("OK TRACKING "), r
        tid = r.split()[2]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            res = s.request("GET TRACKING %s" % tid)
            if res != "PENDING":
                return res
            time.sleep(0.1)
        return "PENDING"
    finally:
        s.close()


def check_chain(top_port, bottom_port):
    """SET and INSTCMD sent at the bottom of a chain reach the top, and the
    real results come back."""
    wait_for(lambda: get(bottom_port, "rep", "ups.id") == 'VAR rep ups.id "origin"',
             what="the repeater's data")
    # metadata NUT's repeater never copies
    s = Session(bottom_port)
    t_bottom = s.request("GET TYPE rep ups.id")
    rw = s.list_("RW rep")
    s.close()
    s = Session(top_port)
    t_top = s.request("GET TYPE src ups.id")
    s.close()
    assert t_bottom.split()[3:] == t_top.split()[3:], (t_bottom, t_top)
    assert any(" ups.id " in l for l in rw)
    # SET travels up; SUCCESS comes back; the value comes back down
    assert tracked(bottom_port, "rep", 'SET VAR rep ups.id "via chain"') == "SUCCESS"
    assert get(top_port, "src", "ups.id") == 'VAR src ups.id "via chain"'
    wait_for(lambda: get(bottom_port, "rep", "ups.id") == 'VAR rep ups.id "via chain"',
             what="the new value to come back down")
    # a SET the device refuses (override.*): FAILED, not a blind OK
    assert tracked(bottom_port, "rep", "SET VAR rep battery.charge.low 5") == "ERR FAILED"
    assert get(top_port, "src", "battery.charge.low") == 'VAR src battery.charge.low "30"'
    # INSTCMD travels up
    assert tracked(bottom_port, "rep", "INSTCMD rep load.off") == "SUCCESS"
    assert get(top_port, "src", "ups.status") == 'VAR src ups.status "OFF"'
    wait_for(lambda: get(bottom_port, "rep", "ups.status") == 'VAR rep ups.status "OFF"',
             what="the status to come back down")


def test_chain_through_nut_upsd(procs, tmpd):
    """ours -> NUT upsd -> our repeater -> NUT upsd, with NUT's clients at the end."""
    src = source_driver(procs, tmpd)
    top = nut_upsd(procs, src, {"src": {"driver": "dummy-ups", "port": "u.dev"}})
    wait_for_ups(top, "src")
    rep_dir, keys, _ = repeater(procs, tmpd, "src@127.0.0.1:%d" % top)
    bottom = nut_upsd(procs, rep_dir, {"rep": keys})
    wait_for_ups(bottom, "rep")
    check_chain(top, bottom)
    # NUT's own clients through the chain
    r = subprocess.run([NUT_UPSRW, "-s", "ups.id=nut client", "-u", "admin", "-p", "secret",
                        "-w", "rep@127.0.0.1:%d" % bottom], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0 and "SUCCESS" in (r.stdout + r.stderr), r.stdout + r.stderr
    assert get(top, "src", "ups.id") == 'VAR src ups.id "nut client"'
    r = subprocess.run(["/usr/bin/upsc", "rep@127.0.0.1:%d" % bottom, "ups.mfr"],
                       capture_output=True, text=True, timeout=10)
    assert r.stdout.strip() == "Source Inc"


def test_full_chain_our_upsd(procs, tmpd):
    """ours -> our upsd -> our repeater -> our upsd."""
    src = source_driver(procs, tmpd)
    top = our_upsd(procs, src, {"src": {"driver": "dummy-ups", "port": "u.dev"}})
    wait_for_ups(top, "src")
    rep_dir, keys, _ = repeater(procs, tmpd, "src@127.0.0.1:%d" % top)
    bottom = our_upsd(procs, rep_dir, {"rep": keys})
    wait_for_ups(bottom, "rep")
    check_chain(top, bottom)


def make_pki(d):
    cnf = os.path.join(d, "san.cnf")
    with open(cnf, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    def sh(*argv):
        subprocess.run(argv, check=True, cwd=d, capture_output=True, timeout=60)
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
       "-out", "ca.pem", "-days", "2", "-subj", "/CN=repeater test CA")
    sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
       "server.csr", "-subj", "/CN=localhost")
    sh("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
       "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", cnf)
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key",
       "-out", "other.pem", "-days", "2", "-subj", "/CN=someone else")
    with open(os.path.join(d, "server.pem"), "w") as out:
        for part in ("server.crt", "server.key"):
            out.write(open(os.path.join(d, part)).read())
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)
    return os.path.join(d, "server.pem"), os.path.join(d, "ca.pem"), os.path.join(d, "other.pem")


def test_starttls_credentials_and_sandbox(procs, tmpd, run_user):
    """The repeater, dropped to the run-as user and sandboxed, mirrors an
    upsd over verified STARTTLS and logs in; a wrong CA stops it."""
    name, uid, gid = run_user
    pki = subdir(tmpd, "pki")
    certfile, ca, other = make_pki(pki)
    src = source_driver(procs, tmpd)
    top = our_upsd(procs, src, {"src": {"driver": "dummy-ups", "port": "u.dev"}},
                   extra="CERTFILE %s\n" % certfile)
    wait_for_ups(top, "src")
    tls = {"tls": "require", "cafile": ca, "tls_name": "localhost"}
    rep_dir, keys, p = repeater(procs, tmpd, "src@127.0.0.1:%d" % top, tls, args=("-u", name))
    os.chown(rep_dir, uid, gid)
    wait_for(lambda: "(TLS)" in p.output(), what="a TLS connection in the repeater's log")
    def st():
        with open("/proc/%d/status" % p.pid) as f:
            return f.read()
    wait_for(lambda: "NoNewPrivs:\t1" in st() and ("Uid:\t%d" % uid) in st(),
             what="the repeater to drop to %s and apply its sandbox" % name)
    bottom = our_upsd(procs, rep_dir, {"rep": keys})
    wait_for_ups(bottom, "rep")
    assert tracked(bottom, "rep", 'SET VAR rep ups.id "over tls"') == "SUCCESS"
    assert get(top, "src", "ups.id") == 'VAR src ups.id "over tls"'
    # wrong trust: the repeater refuses to start (strict start), saying why
    bad = subdir(tmpd, "bad")
    write_ups_conf(os.path.join(bad, "ups.conf"), {"bad": dict(keys, cafile=other)})
    r = subprocess.run([our_bin("dummy-ups"), "-a", "bad", "-F", "-u", "root"],
                       env=dict(os.environ, NUT_CONFPATH=bad, NUT_STATEPATH=bad),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "upstream" in r.stderr and "src@127.0.0.1" in r.stderr


def test_metadata_mirrored(procs, tmpd):
    """Enumerations, ranges, types and commands of the upstream UPS appear
    on the repeater (NUT's repeater copies values only), and an upstream
    command that fails reports FAILED."""
    from upsd_helpers import FakeDriver
    src = subdir(tmpd, "src")
    fake = FakeDriver(os.path.join(src, "dummy-ups-src"))
    fake.var("ups.status", "OL")
    fake.var("input.sensitivity", "medium", flags=("RW", "STRING"), aux=8,
             enums=("low", "medium", "high"))
    fake.var("ups.delay.shutdown", "20", flags=("RW", "NUMBER"), ranges=((0, 60), (120, 180)))
    fake.var("battery.charge", "100", flags=("NUMBER",))
    fake.cmds = ["beeper.enable", "fail.now", "driver.reload"]
    fake.start()
    try:
        top = our_upsd(procs, src, {"src": {"driver": "dummy-ups", "port": "none"}})
        wait_for_ups(top, "src")
        rep_dir, keys, _ = repeater(procs, tmpd, "src@127.0.0.1:%d" % top)
        bottom = our_upsd(procs, rep_dir, {"rep": keys})
        wait_for_ups(bottom, "rep")
        s = Session(bottom)
        def enums():
            return s.list_("ENUM rep input.sensitivity")
        wait_for(lambda: len(enums()) == 3, what="enumerations on the repeater")
        assert [l.split('"')[1] for l in enums()] == ["low", "medium", "high"]
        assert [l.split(" ", 3)[3] for l in s.list_("RANGE rep ups.delay.shutdown")] == [
            '"0" "60"', '"120" "180"']
        assert s.request("GET TYPE rep input.sensitivity").split()[3:] == [
            "RW", "ENUM", "STRING:8"]
        assert "RANGE" in s.request("GET TYPE rep ups.delay.shutdown")
        assert "RW" not in s.request("GET TYPE rep battery.charge")
        cmds = [l.split()[2] for l in s.list_("CMD rep")]
        assert "beeper.enable" in cmds and "fail.now" in cmds
        # the upstream driver's own driver.* commands are not mirrored
        assert all(not c.startswith("driver.") or c in (
            "driver.reload", "driver.reload-or-error", "driver.reload-or-exit",
            "driver.exit") for c in cmds)
        s.close()
        assert tracked(bottom, "rep", "INSTCMD rep fail.now") == "ERR FAILED"
        assert tracked(bottom, "rep", "INSTCMD rep beeper.enable") == "SUCCESS"
        assert any(w[:2] == ["INSTCMD", "beeper.enable"] for w in fake.received)
        # a value outside the enumeration is refused before it travels
        s = Session(bottom)
        assert s.request("USERNAME admin") == "OK" and s.request("PASSWORD secret") == "OK"
        assert s.request("SET VAR rep input.sensitivity extreme").startswith("ERR")
        s.close()
    finally:
        fake.stop()
