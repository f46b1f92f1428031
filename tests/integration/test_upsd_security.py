"""upsguard's security defaults, which NUT only documents: anonymous reads
by ANONYMOUS_READ, LIST CLIENT not anonymous, upsd.users refused when
others can read it, crypt(3) hashes, allowfrom, failed-password slow-down,
refusing non-loopback LISTEN without TLS.  Every refusal names the
directive that would change it."""
import crypt
import os
import subprocess
import time

import pytest

from conftest import our_bin
from upsd_helpers import FakeDriver, OurUpsd, Session, opendir, write_users  # noqa: F401

UPS_CONF = "[fake]\n  driver = dummy-ups\n  port = none\n"


def users_text():
    yes = crypt.crypt("hashedpw", "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$")
    sha = crypt.crypt("shapw", crypt.mksalt(crypt.METHOD_SHA512))
    assert yes.startswith("$y$") and sha.startswith("$6$")
    return """[admin]
  password = secret
  actions = SET FSD
  instcmds = ALL
[yes]
  password = "%s"
  actions = FSD
[sha]
  password = "%s"
  actions = FSD
[here]
  password = herepw
  actions = FSD
  allowfrom = 127.0.0.0/8 ::1
[elsewhere]
  password = elsepw
  actions = FSD
  allowfrom = 10.0.0.0/8 2001:db8::/32
""" % (yes.replace("$", "\\$"), sha.replace("$", "\\$"))


@pytest.fixture
def fake(opendir):
    f = FakeDriver(os.path.join(opendir, "dummy-ups-fake"))
    f.var("ups.status", "OL")
    f.var("device.model", "Sec test")
    f.start()
    yield f
    f.stop()


def login(port, user, pw, timeout=5.0):
    s = Session(port, timeout=timeout)
    assert s.cmd("USERNAME " + user) == "OK"
    assert s.cmd("PASSWORD " + pw) == "OK"
    return s


def test_anonymous_read_none(procs, opendir, fake):
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, users_text(),
                   conf_extra="ANONYMOUS_READ none\n").start()
    s = Session(ours.port)
    r = s.cmd("GET VAR fake ups.status")
    assert r.startswith("ERR ACCESS-DENIED") and "ANONYMOUS_READ" in r
    assert s.cmd("LIST UPS").startswith("ERR ACCESS-DENIED")
    # What needs no data stays available.
    assert s.cmd("NETVER") == "1.3" and s.cmd("STARTTLS") == "ERR FEATURE-NOT-CONFIGURED"
    assert login(ours.port, "admin", "secret").cmd("GET VAR fake ups.status") == \
        'VAR fake ups.status "OL"'
    assert login(ours.port, "admin", "wrong").cmd("GET VAR fake ups.status").startswith(
        "ERR ACCESS-DENIED")


def test_anonymous_read_default_loopback(procs, opendir, fake):
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, users_text()).start(wait=["fake"])
    assert Session(ours.port).cmd("GET VAR fake ups.status") == 'VAR fake ups.status "OL"'
    out = subprocess.run([our_bin("upsd"), "-T"], env=dict(os.environ, **ours.env),
                         capture_output=True, text=True, timeout=20)
    assert "ANONYMOUS_READ loopback" in out.stdout, out


def test_list_client_not_anonymous(procs, opendir, fake):
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, users_text(),
                   conf_extra="ANONYMOUS_READ any\n").start(wait=["fake"])
    r = Session(ours.port).cmd("LIST CLIENT fake")
    assert r.startswith("ERR ACCESS-DENIED") and "upsd.users" in r
    s = login(ours.port, "admin", "secret")
    assert s.cmd("LIST CLIENT fake") == ["BEGIN LIST CLIENT fake", "END LIST CLIENT fake"]
    assert login(ours.port, "admin", "bad").cmd("LIST CLIENT fake").startswith(
        "ERR ACCESS-DENIED")


def test_hashed_passwords_and_allowfrom(procs, opendir, fake):
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, users_text()).start(wait=["fake"])
    assert login(ours.port, "yes", "hashedpw").cmd("FSD fake") == "OK FSD-SET"
    assert login(ours.port, "sha", "shapw").cmd("FSD fake") == "OK FSD-SET"
    assert login(ours.port, "here", "herepw").cmd("FSD fake") == "OK FSD-SET"
    assert login(ours.port, "yes", "hashedpW").cmd("FSD fake") == "ERR ACCESS-DENIED"
    # The hash text itself is not a password.
    assert login(ours.port, "elsewhere", "elsepw").cmd("FSD fake") == "ERR ACCESS-DENIED"
    log = ours.proc.output()
    assert "allowfrom" in log and "wrong password" in log


def test_failed_passwords_slow_down(procs, opendir, fake):
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, users_text()).start(wait=["fake"])
    times = []
    for i in range(6):
        s = login(ours.port, "admin", "wrong%d" % i, timeout=20)
        t0 = time.monotonic()
        assert s.cmd("FSD fake") == "ERR ACCESS-DENIED"
        times.append(time.monotonic() - t0)
        s.close()
    assert max(times[:3]) < 0.5, times
    assert times[3] >= 1.5 and times[5] >= times[3], times
    # Others are not slowed down meanwhile, and the right password still works.
    other = Session(ours.port)
    t0 = time.monotonic()
    assert other.cmd("GET VAR fake ups.status") == 'VAR fake ups.status "OL"'
    assert time.monotonic() - t0 < 0.5
    assert "6 recent failures" in ours.proc.output()


@pytest.mark.parametrize("mode", [0o644, 0o660, 0o604])
def test_users_file_refused_when_exposed(procs, opendir, fake, mode):
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, users_text())
    os.chmod(os.path.join(ours.dir, "upsd.users"), mode)
    out = subprocess.run([our_bin("upsd"), "-F"], env=dict(os.environ, **ours.env),
                         capture_output=True, text=True, timeout=20)
    assert out.returncode != 0 and "chmod" in out.stderr, out


def test_nonloopback_listen_needs_tls_or_optin(procs, opendir, fake):
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, users_text(),
                   listen="LISTEN 0.0.0.0 %d\n" % 3493)
    env = dict(os.environ, **ours.env)
    out = subprocess.run([our_bin("upsd"), "-t"], env=env, capture_output=True, text=True,
                         timeout=20)
    assert out.returncode != 0 and "ALLOW_PLAINTEXT_LISTEN" in out.stderr, out
    with open(os.path.join(ours.dir, "upsd.conf"), "a") as f:
        f.write("ALLOW_PLAINTEXT_LISTEN yes\n")
    out = subprocess.run([our_bin("upsd"), "-t"], env=env, capture_output=True, text=True,
                         timeout=20)
    assert out.returncode == 0, out
