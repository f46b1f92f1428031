"""NUT 2.8.0's own clients against our upsd: upsc, upscmd, upsrw, upslog,
upsmon (primary and secondary), Python PyNUT and Perl UPS::Nut.

Driver data comes from NUT's dummy-ups (a DDL dump) and from a scripted
fake driver that answers SET/INSTCMD with tracking results."""
import os
import subprocess
import time

import pytest

from conftest import DDL_DIR, wait_for
from nut_peer import NUT_UPSC, NUT_UPSCMD, NUT_UPSLOG, NUT_UPSMON, NUT_UPSRW, NutPeer
from upsd_helpers import FakeDriver, OurUpsd, Session, opendir, wait_until  # noqa: F401

USERS = """[admin]
  password = secret
  actions = SET FSD
  instcmds = ALL
[monprimary]
  password = pmpass
  upsmon primary
[monsecondary]
  password = smpass
  upsmon secondary
"""


@pytest.fixture
def served(procs, opendir):
    ddl = os.path.join(DDL_DIR, "Eaton__5PX_2000__usbhid-ups__2.7.4__01.dev")
    nut = NutPeer(procs, opendir, {"eaton": (ddl, "Eaton 5PX")}, users=USERS)
    with open(os.path.join(nut.dir, "ups.conf"), "a") as f:
        f.write('[fake]\n  driver = dummy-ups\n  port = none\n  desc = "Fake UPS"\n')
    fake = FakeDriver(os.path.join(nut.dir, "dummy-ups-fake"))
    fake.var("ups.status", "OL")
    fake.var("ups.id", "fake1", flags=["RW", "STRING"], aux=16)
    fake.var("input.sensitivity", "H", flags=["RW"], enums=["H", "M", "L"])
    fake.var("battery.charge", "100", flags=["NUMBER"])
    fake.var("device.model", "Fake 1000")
    fake.cmds = ["test.battery.start", "load.off", "beeper.toggle"]
    fake.start()
    nut.start_drivers()
    with open(os.path.join(nut.dir, "ups.conf")) as f:
        ups_conf = f.read()
    ours = OurUpsd(procs, opendir, nut.dir, ups_conf, USERS).start(wait=["eaton", "fake"])
    yield ours, fake, nut
    fake.stop()


def run(argv, timeout=20, env=None):
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=full)


def test_upsc_all_forms(served):
    ours, fake, nut = served
    host = "127.0.0.1:%d" % ours.port
    out = run([NUT_UPSC, "-l", host])
    assert out.returncode == 0 and out.stdout.split() == ["eaton", "fake"], out
    out = run([NUT_UPSC, "-L", host])
    assert "eaton: Eaton 5PX" in out.stdout and "fake: Fake UPS" in out.stdout, out
    out = run([NUT_UPSC, "eaton@" + host])
    assert out.returncode == 0 and "device.model: Eaton 5PX 2000" in out.stdout, out
    out = run([NUT_UPSC, "fake@" + host, "ups.status"])
    assert out.stdout.strip() == "OL", out
    out = run([NUT_UPSC, "fake@" + host, "no.such.var"])
    assert out.returncode != 0 and "Variable not supported" in out.stderr, out
    out = run([NUT_UPSC, "nosuch@" + host])
    assert out.returncode != 0 and "Unknown UPS" in out.stderr, out
    # LIST CLIENT is not anonymous in upsguard: a clean refusal.
    out = run([NUT_UPSC, "-c", "fake@" + host])
    assert out.returncode != 0 and "Access denied" in out.stderr, out


def test_upscmd_and_upsrw_with_tracking(served):
    ours, fake, nut = served
    target = "fake@127.0.0.1:%d" % ours.port
    out = run([NUT_UPSCMD, "-l", target])
    assert "test.battery.start" in out.stdout and "beeper.toggle" in out.stdout, out
    out = run([NUT_UPSCMD, "-u", "admin", "-p", "secret", "-w", target, "test.battery.start"])
    assert out.returncode == 0 and "SUCCESS" in out.stdout + out.stderr, out
    assert any(w[:2] == ["INSTCMD", "test.battery.start"] and "TRACKING" in w
               for w in fake.received), fake.received
    out = run([NUT_UPSCMD, "-u", "admin", "-p", "wrong", target, "load.off"])
    assert out.returncode != 0 and "ACCESS-DENIED" in out.stderr, out
    out = run([NUT_UPSRW, target])
    assert "[ups.id]" in out.stdout and "[input.sensitivity]" in out.stdout, out
    out = run([NUT_UPSRW, "-s", "ups.id=newid", "-u", "admin", "-p", "secret", "-w", target])
    assert out.returncode == 0 and "SUCCESS" in out.stdout + out.stderr, out
    wait_until(lambda: Session(ours.port).cmd("GET VAR fake ups.id") == 'VAR fake ups.id "newid"',
               what="the new value")
    out = run([NUT_UPSRW, "-s", "input.sensitivity=X", "-u", "admin", "-p", "secret", target])
    assert out.returncode != 0 and "INVALID-VALUE" in out.stderr, out


def test_upslog(served, opendir, procs):
    ours, fake, nut = served
    logf = os.path.join(opendir, "ups.log")
    p = procs.start([NUT_UPSLOG, "-s", "fake@127.0.0.1:%d" % ours.port, "-l", logf, "-i", "1",
                     "-f", "%VAR ups.status% %VAR battery.charge%", "-F"], name="upslog")
    wait_for(lambda: os.path.exists(logf) and "OL 100" in open(logf).read(), timeout=15,
             what="upslog output")
    assert p.alive()


def upsmon_conf(d, port, user, pw, role, flag):
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "upsmon.conf")
    with open(path, "w") as f:
        f.write("MONITOR fake@127.0.0.1:%d 1 %s %s %s\n" % (port, user, pw, role))
        f.write('SHUTDOWNCMD "/usr/bin/touch %s"\n' % flag)
        f.write("POWERDOWNFLAG %s/killpower\n" % d)
        f.write("MINSUPPLIES 1\nPOLLFREQ 1\nPOLLFREQALERT 1\nHOSTSYNC 5\nFINALDELAY 0\n")
        f.write("DEADTIME 15\n")
    os.chmod(path, 0o600)
    with open(os.path.join(d, "nut.conf"), "w") as f:
        f.write("MODE=netclient\n")
    return {"NUT_CONFPATH": d, "NUT_STATEPATH": d, "NUT_ALTPIDPATH": d}


def test_upsmon_primary_and_secondary(served, opendir, procs):
    ours, fake, nut = served
    pdir, sdir = os.path.join(opendir, "mon-p"), os.path.join(opendir, "mon-s")
    pflag, sflag = os.path.join(opendir, "primary-down"), os.path.join(opendir, "secondary-down")
    penv = upsmon_conf(pdir, ours.port, "monprimary", "pmpass", "primary", pflag)
    senv = upsmon_conf(sdir, ours.port, "monsecondary", "smpass", "secondary", sflag)
    # upsmon 2.8.0 keeps its pid file in /run/nut whatever the environment
    # says: each instance gets a private /run/nut in its own mount namespace.
    for env, name in ((penv, "upsmon-primary"), (senv, "upsmon-secondary")):
        procs.start(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                     "mkdir -p /run/nut && mount -t tmpfs tmpfs /run/nut && "
                     "exec %s -F -u root" % NUT_UPSMON], env=env, name=name)
    wait_until(lambda: Session(ours.port).cmd("GET NUMLOGINS fake") == "NUMLOGINS fake 2",
               timeout=20, what="both upsmon instances to LOGIN")
    admin = Session(ours.port)
    assert admin.cmd("USERNAME admin") == "OK" and admin.cmd("PASSWORD secret") == "OK"
    clients = admin.cmd("LIST CLIENT fake")
    assert clients.count("CLIENT fake 127.0.0.1") == 2, clients
    # Power fails and the battery runs low: the primary sets FSD, both shut down.
    fake.broadcast('SETINFO ups.status "OB LB"')
    wait_for(lambda: os.path.exists(sflag), timeout=30, what="secondary SHUTDOWNCMD")
    wait_for(lambda: os.path.exists(pflag), timeout=30, what="primary SHUTDOWNCMD")
    assert Session(ours.port).cmd("GET VAR fake ups.status") == 'VAR fake ups.status "FSD OB LB"'


PYNUT = r"""
import sys, PyNUT
c = PyNUT.PyNUTClient(host="127.0.0.1", port=int(sys.argv[1]), login="admin", password="secret")
ups = c.GetUPSList()
assert ups[b"fake"] == b"Fake UPS", ups
v = c.GetUPSVars("fake")
assert v[b"ups.status"] == b"OL" and v[b"device.model"] == b"Fake 1000", v
rw = c.GetRWVars("fake")
assert b"ups.id" in rw and b"device.model" not in rw, rw
cmds = c.GetUPSCommands("fake")
assert b"test.battery.start" in cmds, cmds
c.RunUPSCommand("fake", "beeper.toggle")
c.SetRWVar("fake", "ups.id", "pynut")
print("pynut ok")
"""

PERL = r"""
use strict; use warnings; use UPS::Nut;
my $ups = UPS::Nut->new(NAME => "fake", HOST => "127.0.0.1", PORT => $ARGV[0],
    USERNAME => "admin", PASSWORD => "secret", TIMEOUT => 10) or die "connect failed";
my $s = $ups->Request("ups.status"); die "status: " . ($s // "undef") unless $s eq "OL";
my $vars = $ups->ListVar(); die "listvar" unless $vars->{"device.model"} eq "Fake 1000";
my $rw = $ups->ListRW(); die "listrw" unless exists $rw->{"ups.id"};
my $cmds = $ups->ListCmd(); die "listcmd" unless grep { $_ eq "load.off" } @$cmds;
my $t = $ups->GetType("ups.id"); die "type $t" unless $t =~ /STRING/;
$ups->InstCmd("beeper.toggle") or die "instcmd: " . $ups->Error;
$ups->Set("ups.id", "perl") or die "set: " . $ups->Error;
print "perl ok\n";
"""


def test_pynut(served):
    ours, fake, nut = served
    out = run(["/usr/bin/python3", "-c", PYNUT, str(ours.port)])
    assert out.returncode == 0 and "pynut ok" in out.stdout, out
    assert ["INSTCMD", "beeper.toggle"] in fake.received
    wait_until(lambda: Session(ours.port).cmd("GET VAR fake ups.id") == 'VAR fake ups.id "pynut"',
               what="PyNUT's SET")


def test_perl_ups_nut(served):
    ours, fake, nut = served
    out = run(["/usr/bin/perl", "-e", PERL, str(ours.port)])
    assert out.returncode == 0 and "perl ok" in out.stdout, out
    wait_until(lambda: Session(ours.port).cmd("GET VAR fake ups.id") == 'VAR fake ups.id "perl"',
               what="UPS::Nut's SET")
