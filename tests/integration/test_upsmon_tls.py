"""upsmon over STARTTLS with certificate verification (our upsd with a
certificate from a test CA): FORCESSL 1 + CERTPATH logs in over a verified
session; a server certificate from another CA is refused, loudly, and
upsmon never sends its password in clear."""
import os
import shutil

import pytest

from clients_helpers import open_dir
from conftest import wait_for
from nut_peer import NutPeer
from test_clients_tls import OurTlsUpsd, hashed_ca_dir, make_pki
from upsmon_helpers import UpsmonEnv, upsmon_parts, write_dev


@pytest.fixture
def tls_setup(procs, run_user):
    base = open_dir("upsmon-tls")
    pki = os.path.join(base, "pki")
    os.makedirs(pki)
    make_pki(pki, ["127.0.0.1", "localhost"])
    dev = os.path.join(base, "ups.dev")
    write_dev(dev, "OL")
    peer = NutPeer(procs, base, {"ups": dev}).start_drivers()
    srv = OurTlsUpsd(procs, base, peer, run_user, "127.0.0.1", pki)
    e = UpsmonEnv("upsmon-tls")
    yield base, pki, srv, e
    e.cleanup()
    shutil.rmtree(base, ignore_errors=True)


def tls_conf(e, srv, ca, kind="file"):
    """CERTPATH as a CA file or a hashed CA directory; or (kind "system") no
    CERTPATH, and the CA given as OpenSSL's system store (SSL_CERT_FILE).
    Returns the environment upsmon needs."""
    cafile = os.path.join(e.base, "ca.pem")
    shutil.copy(ca, cafile)
    os.chmod(cafile, 0o644)
    certpath, env = cafile, None
    if kind == "hashed-dir":
        certpath = hashed_ca_dir(cafile, os.path.join(e.base, "cas"))
    elif kind == "system":
        certpath, env = None, {"SSL_CERT_FILE": cafile, "SSL_CERT_DIR": "/nonexistent"}
    extra = "FORCESSL 1\nCERTVERIFY 1" + ("\nCERTPATH %s" % certpath if certpath else "")
    e.write_conf(["ups@127.0.0.1:%d 1 monprimary pmpass primary" % srv.port], extra=extra)
    return env


@pytest.mark.parametrize("kind", ["file", "hashed-dir", "system"])
def test_verified_tls_session(procs, tls_setup, kind):
    """Verified whichever way the CA is given: [net] reads it before its
    chroot, so the session verifies although [net] can open no file."""
    base, pki, srv, e = tls_setup
    env = tls_conf(e, srv, os.path.join(pki, "ca.pem"), kind)
    p = e.start(procs, env=env)
    upsmon_parts(p.pid)
    wait_for(lambda: "certificate verified" in p.output(), 20, what="a verified TLS session")
    wait_for(lambda: "logged in as primary" in p.output(), 10, what="LOGIN over TLS")
    assert "NOT encrypted" not in p.output()


def test_untrusted_certificate_refused(procs, tls_setup):
    base, pki, srv, e = tls_setup
    other = os.path.join(base, "other")
    os.makedirs(other)
    make_pki(other, ["127.0.0.1"])
    tls_conf(e, srv, os.path.join(other, "ca.pem"))
    p = e.start(procs)
    upsmon_parts(p.pid)
    e.wait_event("COMMBAD", 20)
    assert "logged in" not in p.output()
    assert "UPS [ups@127.0.0.1]" in p.output()


@pytest.fixture
def veth():
    from test_clients_tls import Netns
    assert os.geteuid() == 0, "needs root to create a veth pair (a non-loopback address)"
    assert shutil.which("ip"), "needs iproute2 (ip)"
    ns = Netns()
    yield ns
    ns.close()


@pytest.mark.parametrize("forcessl", [None, "0"])
def test_forcessl_default_off_loopback(procs, run_user, veth, forcessl):
    """A upsd on a non-loopback address without TLS: by default upsmon refuses
    to log in (FORCESSL is on off loopback); FORCESSL 0 allows plain text,
    with a warning."""
    from conftest import free_port, wait_for_port, wait_for_ups
    from nut_peer import NUT_UPSD
    base = open_dir("upsmon-veth")
    try:
        dev = os.path.join(base, "ups.dev")
        write_dev(dev, "OL")
        peer = NutPeer(procs, base, {"ups": dev}).start_drivers()
        port = free_port()
        with open(os.path.join(peer.dir, "upsd.conf"), "w") as f:
            f.write("LISTEN %s %d\nSTATEPATH %s\n" % (veth.host_ip, port, peer.dir))
        procs.start([NUT_UPSD, "-F", "-u", "root"], env=peer.env, name="nut-upsd-veth")
        wait_for_port(port, host=veth.host_ip)
        wait_for_ups(port, "ups", host=veth.host_ip)
        e = UpsmonEnv("upsmon-veth")
        try:
            e.write_conf(["ups@%s:%d 1 monprimary pmpass primary" % (veth.host_ip, port)],
                         extra="FORCESSL %s" % forcessl if forcessl else "")
            p = e.start(procs)
            upsmon_parts(p.pid)
            if forcessl is None:
                e.wait_event("COMMBAD", 20)
                wait_for(lambda: "STARTTLS" in p.output(), 10, what="the TLS refusal logged")
                assert "logged in" not in p.output()
            else:
                wait_for(lambda: "logged in as primary" in p.output(), 20, what="plain login")
                assert "NOT encrypted" in p.output()
        finally:
            e.cleanup()
    finally:
        shutil.rmtree(base, ignore_errors=True)
