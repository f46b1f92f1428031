"""STARTTLS: Python's ssl module, NUT 2.8.0's NSS-based upsmon, client
certificates (CERTREQUEST), and plaintext credentials refused on a
TLS-required (non-loopback) listener.  A throwaway CA is made per test."""
import os
import socket
import ssl
import subprocess

import pytest

from conftest import our_bin, wait_for
from nut_peer import NUT_UPSMON
from upsd_helpers import FakeDriver, OurUpsd, Session, opendir, wait_until  # noqa: F401

USERS = """[admin]
  password = secret
  actions = SET FSD
  instcmds = ALL
[monprimary]
  password = pmpass
  upsmon primary
"""

UPS_CONF = "[fake]\n  driver = dummy-ups\n  port = none\n"


def sh(*argv, cwd=None):
    subprocess.run(argv, check=True, cwd=cwd, capture_output=True, timeout=60)


def make_pki(d):
    """ca.pem, server.pem (cert + key, as CERTFILE), client.pem/client.key."""
    cnf = os.path.join(d, "san.cnf")
    with open(cnf, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,IP:10.99.0.1,DNS:localhost\n")
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
       "-out", "ca.pem", "-days", "2", "-subj", "/CN=upsguard test CA", cwd=d)
    for name, cn in (("server", "localhost"), ("client", "monitor-client")):
        sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key",
           "-out", name + ".csr", "-subj", "/CN=" + cn, cwd=d)
        args = ["openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey",
                "ca.key", "-CAcreateserial", "-out", name + ".crt", "-days", "2"]
        if name == "server":
            args += ["-extfile", cnf]
        sh(*args, cwd=d)
    with open(os.path.join(d, "server.pem"), "w") as out:
        for part in ("server.crt", "server.key"):
            out.write(open(os.path.join(d, part)).read())
    os.chmod(os.path.join(d, "server.pem"), 0o644)
    return {k: os.path.join(d, v) for k, v in
            (("ca", "ca.pem"), ("certfile", "server.pem"), ("client_crt", "client.crt"),
             ("client_key", "client.key"))}


def start_fake(d):
    fake = FakeDriver(os.path.join(d, "dummy-ups-fake"))
    fake.var("ups.status", "OL")
    fake.var("device.model", "TLS test")
    return fake.start()


@pytest.fixture
def tls_setup(procs, opendir):
    pki = make_pki(opendir)
    fake = start_fake(opendir)
    yield pki, fake
    fake.stop()


def starttls(port, ca, cert=None, key=None):
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    raw.sendall(b"STARTTLS\n")
    assert raw.recv(100) == b"OK STARTTLS\n"
    ctx = ssl.create_default_context(cafile=ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    return Session(port, sock=ctx.wrap_socket(raw, server_hostname="localhost"))


def test_starttls_python(procs, opendir, tls_setup):
    pki, fake = tls_setup
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, USERS,
                   conf_extra="CERTFILE %s\n" % pki["certfile"]).start(wait=["fake"])
    s = starttls(ours.port, pki["ca"])
    assert s.s.version() in ("TLSv1.2", "TLSv1.3")
    assert s.cmd("GET VAR fake device.model") == 'VAR fake device.model "TLS test"'
    assert s.cmd("STARTTLS") == "ERR ALREADY-SSL-MODE"
    assert s.cmd("USERNAME admin") == "OK" and s.cmd("PASSWORD secret") == "OK"
    assert s.cmd("FSD fake") == "OK FSD-SET"
    lst = s.cmd("LIST VAR fake")
    assert lst[0] == "BEGIN LIST VAR fake" and 'VAR fake ups.status "FSD OL"' in lst
    assert s.cmd("LOGOUT") == "OK Goodbye"
    # TLS 1.1 and older are refused.
    raw = socket.create_connection(("127.0.0.1", ours.port), timeout=5)
    raw.sendall(b"STARTTLS\n")
    assert raw.recv(100) == b"OK STARTTLS\n"
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        pass
    with pytest.raises((ssl.SSLError, OSError)):
        ctx.wrap_socket(raw).sendall(b"VER\n")


def test_starttls_not_configured(procs, opendir, tls_setup):
    pki, fake = tls_setup
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, USERS).start(wait=["fake"])
    assert Session(ours.port).cmd("STARTTLS") == "ERR FEATURE-NOT-CONFIGURED"


def test_client_certificates(procs, opendir, tls_setup):
    pki, fake = tls_setup
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, USERS,
                   conf_extra="CERTFILE %s\nCERTPATH %s\nCERTREQUEST 2\n"
                   % (pki["certfile"], pki["ca"])).start(wait=["fake"])
    s = starttls(ours.port, pki["ca"], pki["client_crt"], pki["client_key"])
    assert s.cmd("GET VAR fake ups.status") == 'VAR fake ups.status "OL"'
    # Without a certificate the handshake (or the first read) fails.
    with pytest.raises((ssl.SSLError, OSError, EOFError)):
        s2 = starttls(ours.port, pki["ca"])
        s2.cmd("GET VAR fake ups.status")
    # upsd is still serving.
    s3 = starttls(ours.port, pki["ca"], pki["client_crt"], pki["client_key"])
    assert s3.cmd("NETVER") == "1.3"


def test_certrequest_without_certpath_refused(procs, opendir, tls_setup):
    pki, fake = tls_setup
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, USERS,
                   conf_extra="CERTFILE %s\nCERTREQUEST 2\n" % pki["certfile"])
    out = subprocess.run([our_bin("upsd"), "-t"], env=dict(os.environ, **ours.env),
                         capture_output=True, text=True, timeout=20)
    assert out.returncode != 0 and "CERTPATH" in out.stderr, out


def test_nut_upsmon_starttls(procs, opendir, tls_setup):
    pki, fake = tls_setup
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, USERS,
                   conf_extra="CERTFILE %s\n" % pki["certfile"]).start(args=["-D"],
                                                                        wait=["fake"])
    mon = os.path.join(opendir, "mon")
    db = os.path.join(mon, "nss")
    os.makedirs(db)
    sh("certutil", "-N", "-d", "sql:" + db, "--empty-password")
    sh("certutil", "-A", "-d", "sql:" + db, "-n", "upsguard-ca", "-t", "CT,,", "-i", pki["ca"])
    flag = os.path.join(mon, "down")
    conf = os.path.join(mon, "upsmon.conf")
    with open(conf, "w") as f:
        f.write("MONITOR fake@127.0.0.1:%d 1 monprimary pmpass primary\n" % ours.port)
        f.write('SHUTDOWNCMD "/usr/bin/touch %s"\nPOLLFREQ 1\nPOLLFREQALERT 1\n' % flag)
        f.write("CERTPATH %s\nCERTVERIFY 1\nFORCESSL 1\n" % db)
    os.chmod(conf, 0o600)
    env = {"NUT_CONFPATH": mon, "NUT_STATEPATH": mon}
    procs.start(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                 "mkdir -p /run/nut && mount -t tmpfs tmpfs /run/nut && "
                 "exec %s -F -D -u root" % NUT_UPSMON], env=env, name="upsmon-tls")
    wait_until(lambda: Session(ours.port).cmd("GET NUMLOGINS fake") == "NUMLOGINS fake 1",
               timeout=20, what="upsmon to log in over TLS")
    # The login came over TLS: with FORCESSL 1 upsmon would not log in otherwise.
    assert "TLS established with 127.0.0.1" in ours.proc.output()
    fake.broadcast('SETINFO ups.status "OB LB"')
    wait_for(lambda: os.path.exists(flag), timeout=30, what="upsmon shutdown over TLS")


NETNS_CLIENT = r"""
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
def talk(s, line):
    s.sendall(line.encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        buf += s.recv(4096)
    return buf.decode().strip()
raw = socket.create_connection(("10.99.0.1", port), timeout=5)
print(talk(raw, "GET VAR fake ups.status"))
print(talk(raw, "USERNAME admin"))
print(talk(raw, "PASSWORD secret"))
print(talk(raw, "STARTTLS"))
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(raw, server_hostname="10.99.0.1")
print(talk(s, "USERNAME admin"))
print(talk(s, "PASSWORD secret"))
print(talk(s, "GET VAR fake ups.status"))
"""


def test_plaintext_credentials_refused_off_loopback(procs, opendir, tls_setup):
    """A listener on a non-loopback address (in a private network namespace):
    credentials need STARTTLS first, and anonymous reads are refused
    (ANONYMOUS_READ defaults to loopback)."""
    pki, fake = tls_setup
    ns = "upsguard-upsd-%d" % os.getpid()
    if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode != 0:
        pytest.fail("cannot create a network namespace (needs root and iproute2)")
    try:
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", ns, "addr", "add", "10.99.0.1/32", "dev", "lo")
        ours = OurUpsd(procs, opendir, opendir, UPS_CONF, USERS,
                       listen="LISTEN 10.99.0.1 3493\n",
                       conf_extra="CERTFILE %s\n" % pki["certfile"])
        p = procs.start(["ip", "netns", "exec", ns, our_bin("upsd"), "-F"], env=ours.env,
                        name="our-upsd-netns")
        wait_for(lambda: "listening on 10.99.0.1" in p.output(), timeout=10,
                 what="upsd in the namespace")
        wait_for(lambda: "dump complete" in p.output(), timeout=10, what="driver data")
        out = subprocess.run(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", NETNS_CLIENT,
                              "3493", pki["ca"]], capture_output=True, text=True, timeout=30)
        lines = out.stdout.splitlines()
        assert len(lines) == 7, out
        assert lines[0].startswith("ERR ACCESS-DENIED") and "ANONYMOUS_READ" in lines[0]
        assert lines[1].startswith("ERR ACCESS-DENIED") and "ALLOW_PLAINTEXT_LISTEN" in lines[1]
        assert lines[2].startswith("ERR ACCESS-DENIED")
        assert lines[3] == "OK STARTTLS"
        assert lines[4:] == ["OK", "OK", 'VAR fake ups.status "OL"']
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def test_our_clients_starttls(procs, opendir, tls_setup):
    """upsguard's own upsc and upscmd (src/clients) over STARTTLS with
    certificate verification against our upsd."""
    pki, fake = tls_setup
    fake.cmds = ["load.off"]
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, USERS,
                   conf_extra="CERTFILE %s\n" % pki["certfile"]).start(args=["-D"],
                                                                        wait=["fake"])
    target = "fake@127.0.0.1:%d" % ours.port
    out = subprocess.run([our_bin("upsc"), "--tls", "--cafile", pki["ca"], "--tls-name",
                          "localhost", target, "device.model"], capture_output=True, text=True,
                         timeout=20)
    assert out.returncode == 0 and out.stdout.strip() == "TLS test", out
    assert "TLS established with 127.0.0.1" in ours.proc.output()
    # A client that does not trust the CA refuses to go on.
    out = subprocess.run([our_bin("upsc"), "--tls", target, "device.model"],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode != 0, out
    out = subprocess.run([our_bin("upscmd"), "--tls", "--cafile", pki["ca"], "--tls-name",
                          "localhost", "-u", "admin", target, "load.off"],
                         capture_output=True, text=True, timeout=20,
                         env=dict(os.environ, UPSGUARD_PASSWORD="secret", NUT_PASSWORD="secret"))
    assert out.returncode == 0, out
