"""TLS for every client: --tls (STARTTLS required, certificate verified
against --cafile/--capath and the host name), client certificates, and the
default: STARTTLS tried when the server is not on loopback, with a warning
when it is refused or the certificate cannot be verified, never silently.
The non-loopback cases run against a network namespace the test creates.
"""
import os
import random
import shutil
import subprocess

import pytest

from clients_helpers import USERS, open_dir, ours
from conftest import our_bin, free_port, wait_for, wait_for_port, wait_for_ups
from nut_peer import NutPeer

DEV = "ups.status: OL\nups.mfr: Tls\nbattery.charge: 91\n"


def sh(*argv, **kw):
    r = subprocess.run(list(argv), capture_output=True, text=True, timeout=30, **kw)
    assert r.returncode == 0, "%s: %s" % (" ".join(argv), r.stderr)
    return r.stdout


def hashed_ca_dir(ca, d):
    """d as an OpenSSL hashed CA directory holding ca (HHHHHHHH.0 -> ca)."""
    os.makedirs(d, exist_ok=True)
    h = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", ca],
                       capture_output=True, text=True, check=True).stdout.strip()
    os.symlink(ca, os.path.join(d, h + ".0"))
    return d


def make_pki(d, server_names):
    """A CA, a server certificate for server_names (IPs and DNS names), a
    client certificate; all signed by the CA."""
    def cert(name, cn, san=None, client=False):
        key, csr, crt = ("%s/%s.%s" % (d, name, e) for e in ("key", "csr", "pem"))
        sh("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
           "-subj", "/CN=%s" % cn, "-out", csr)
        ext = "%s/%s.ext" % (d, name)
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n")
            f.write("extendedKeyUsage=%s\n" % ("clientAuth" if client else "serverAuth"))
            if san:
                f.write("subjectAltName=%s\n" % san)
        sh("openssl", "x509", "-req", "-in", csr, "-CA", d + "/ca.pem", "-CAkey", d + "/ca.key",
           "-CAcreateserial", "-days", "2", "-out", crt, "-extfile", ext)
        return crt, key
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/ca.key",
       "-subj", "/CN=upsguard test CA", "-days", "2", "-out", d + "/ca.pem")
    san = ",".join(("IP:%s" if n[0].isdigit() else "DNS:%s") % n for n in server_names)
    crt, key = cert("server", server_names[0], san)
    with open(d + "/server-bundle.pem", "w") as f:
        f.write(open(crt).read() + open(key).read())
    cert("client", "upsguard-client", client=True)
    capath = d + "/capath"
    os.makedirs(capath)
    shutil.copy(d + "/ca.pem", capath + "/ca.pem")
    sh("openssl", "rehash", capath)
    return d


class OurTlsUpsd:
    """Our upsd serving one dummy-ups UPS over STARTTLS on `addr`."""

    def __init__(self, procs, base, peer, run_user, addr, pki, certrequest=0, anon_any=True):
        etc = os.path.join(base, "etc-%d" % random.randint(0, 1 << 30))
        os.makedirs(etc)
        os.chmod(etc, 0o755)
        self.port = free_port()
        bundle = os.path.join(etc, "server-bundle.pem")
        shutil.copy(os.path.join(pki, "server-bundle.pem"), bundle)
        shutil.copy(os.path.join(pki, "ca.pem"), os.path.join(etc, "ca.pem"))
        for f in (bundle, os.path.join(etc, "ca.pem")):
            os.chown(f, 0, run_user[2])
            os.chmod(f, 0o640)
        with open(os.path.join(etc, "upsd.conf"), "w") as f:
            f.write("LISTEN %s %d\nSTATEPATH %s\nCERTFILE %s\n" % (addr, self.port, peer.dir,
                                                                    bundle))
            # our upsd serves anonymous reads to loopback only by default
            if anon_any:
                f.write("ANONYMOUS_READ any\n")
            if certrequest:
                f.write("CERTPATH %s\nCERTREQUEST %d\n" % (os.path.join(etc, "ca.pem"),
                                                           certrequest))
        shutil.copy(os.path.join(peer.dir, "ups.conf"), os.path.join(etc, "ups.conf"))
        users = os.path.join(etc, "upsd.users")
        with open(users, "w") as f:
            f.write(USERS)
        os.chown(users, 0, run_user[2])
        os.chmod(users, 0o640)
        for name in peer.upses:
            os.chown(peer.socket_path(name), 0, run_user[2])
        env = {"NUT_CONFPATH": etc, "NUT_STATEPATH": peer.dir}
        self.proc = procs.start([our_bin("upsd"), "-F"], env=env, name="our-upsd-tls")
        wait_for_port(self.port, host=addr)
        self.addr = addr
        self.pki = pki

    def wait_data(self, *tls_args, runner=None):
        """Until the UPS has data (the driver dump reached our upsd)."""
        run = runner or (lambda *a: ours(*a))
        def ready():
            rc, out, err = run("upsc", *tls_args, "ups@%s:%d" % (self.addr, self.port),
                               "ups.mfr")
            return rc == 0 and out == "Tls\n"
        wait_for(ready, 15, what="data over TLS")


@pytest.fixture
def base():
    d = open_dir("clients-tls")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def peer(procs, base):
    dev = os.path.join(base, "tls.dev")
    with open(dev, "w") as f:
        f.write(DEV)
    nutdir = os.path.join(base, "n")
    os.makedirs(nutdir)
    return NutPeer(procs, nutdir, {"ups": dev}, users=USERS).start()


def test_tls_on_loopback(procs, base, peer, run_user):
    os.makedirs(os.path.join(base, "pki"))
    pki = make_pki(os.path.join(base, "pki"), ["127.0.0.1", "localhost"])
    srv = OurTlsUpsd(procs, base, peer, run_user, "127.0.0.1", pki)
    ups = "ups@127.0.0.1:%d" % srv.port
    ca = os.path.join(pki, "ca.pem")
    srv.wait_data("--tls", "--cafile", ca)
    # verified against the CA file, the CA directory, and by name
    for extra in (["--cafile", ca], ["--capath", os.path.join(pki, "capath")]):
        rc, out, err = ours("upsc", "--tls", *extra, ups, "ups.mfr")
        assert (rc, out) == (0, "Tls\n"), err
        assert "Warning" not in err
    rc, out, err = ours("upsc", "--tls", "--cafile", ca, "ups@localhost:%d" % srv.port,
                        "battery.charge")
    assert (rc, out) == (0, "91\n"), err
    # every client speaks TLS the same way
    rc, out, err = ours("upsrw", "--tls", "--cafile", ca, ups)
    assert rc == 0 and "[ups.mfr]" in out
    rc, out, err = ours("upscmd", "--tls", "--cafile", ca, "-l", ups)
    assert rc == 0 and out.startswith("Instant commands supported on UPS [ups]:")
    rc, out, err = ours("upscmd", "--tls", "--cafile", ca, "-u", "admin", ups, "load.off",
                        env={"UPSGUARD_PASSWORD": "secret"})
    assert rc == 0 and err.splitlines()[-1] == "OK", err
    # not trusted: the system store does not know our CA
    rc, out, err = ours("upsc", "--tls", ups, "ups.mfr")
    assert rc == 1 and out == ""
    assert "certificate verification failed" in err, err
    # trusted CA but the wrong name
    rc, out, err = ours("upsc", "--tls", "--cafile", ca, "--tls-name", "other.example", ups,
                        "ups.mfr")
    assert rc == 1 and "certificate verification failed" in err, err
    # explicitly unverified: works, and says so
    rc, out, err = ours("upsc", "--tls", "--tls-insecure", ups, "ups.mfr")
    assert rc == 0 and out == "Tls\n"
    assert "Warning" in err and "not verified" in err
    # on loopback the default is plain text, without a warning
    rc, out, err = ours("upsc", ups, "ups.mfr")
    assert (rc, out, err) == (0, "Tls\n", "")


def test_tls_required_but_refused(peer):
    """NUT's upsd without TLS: --tls fails; nothing is sent in clear."""
    for prog, args in [("upsc", [peer.addr("ups")]), ("upsrw", [peer.addr("ups")]),
                       ("upscmd", ["-l", peer.addr("ups")])]:
        rc, out, err = ours(prog, "--tls", *args)
        assert rc == 1 and out == ""
        assert "refused STARTTLS" in err and "FEATURE-NOT-CONFIGURED" in err, err


def test_client_certificate(procs, base, peer, run_user):
    os.makedirs(os.path.join(base, "pki"))
    pki = make_pki(os.path.join(base, "pki"), ["127.0.0.1"])
    srv = OurTlsUpsd(procs, base, peer, run_user, "127.0.0.1", pki, certrequest=2)
    ups = "ups@127.0.0.1:%d" % srv.port
    ca = os.path.join(pki, "ca.pem")
    cert = ["--cert", os.path.join(pki, "client.pem"), "--key", os.path.join(pki, "client.key")]
    srv.wait_data("--tls", "--cafile", ca, *cert)
    rc, out, err = ours("upsc", "--tls", "--cafile", ca, "--cert", os.path.join(pki, "client.pem"),
                        "--key", os.path.join(pki, "client.key"), ups, "ups.mfr")
    assert (rc, out) == (0, "Tls\n"), err
    rc, out, err = ours("upsc", "--tls", "--cafile", ca, ups, "ups.mfr")
    assert rc == 1 and out == "" and "Error:" in err, err


class Netns:
    """A network namespace joined to the host by a veth pair: the host side
    is 10.x.y.1, the namespace side 10.x.y.2 (not loopback for the client)."""

    def __init__(self):
        n = random.randint(1, 250)
        self.name = "ugcl%d" % random.randint(0, 1 << 20)
        self.host_if, self.ns_if = self.name + "a", self.name + "b"
        self.host_ip, self.ns_ip = "10.213.%d.1" % n, "10.213.%d.2" % n
        sh("ip", "netns", "add", self.name)
        try:
            sh("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
            sh("ip", "link", "set", self.ns_if, "netns", self.name)
            sh("ip", "addr", "add", self.host_ip + "/30", "dev", self.host_if)
            sh("ip", "link", "set", self.host_if, "up")
            self.run("ip", "addr", "add", self.ns_ip + "/30", "dev", self.ns_if)
            self.run("ip", "link", "set", self.ns_if, "up")
            self.run("ip", "link", "set", "lo", "up")
        except AssertionError:
            self.close()
            raise

    def run(self, *argv):
        return sh("ip", "netns", "exec", self.name, *argv)

    def client(self, prog, *args):
        r = subprocess.run(["ip", "netns", "exec", self.name, our_bin(prog)] + list(args),
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout, r.stderr

    def close(self):
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


@pytest.fixture
def netns():
    assert os.geteuid() == 0, "the non-loopback TLS test needs root to create a network namespace"
    assert shutil.which("ip"), "the non-loopback TLS test needs iproute2 (ip)"
    ns = Netns()
    yield ns
    ns.close()


def test_default_tries_starttls_off_loopback(procs, base, peer, run_user, netns):
    os.makedirs(os.path.join(base, "pki"))
    pki = make_pki(os.path.join(base, "pki"), [netns.host_ip])
    srv = OurTlsUpsd(procs, base, peer, run_user, netns.host_ip, pki)
    ups = "ups@%s:%d" % (netns.host_ip, srv.port)
    srv.wait_data("--cafile", os.path.join(pki, "ca.pem"), runner=netns.client)
    # no CA given: encrypted, and a warning that the certificate is unverified
    rc, out, err = netns.client("upsc", ups, "ups.mfr")
    assert (rc, out) == (0, "Tls\n"), err
    assert "Warning:" in err and "encrypted" in err and "not verified" in err, err
    # with the CA: verified, silent
    rc, out, err = netns.client("upsc", "--cafile", os.path.join(pki, "ca.pem"), ups, "ups.mfr")
    assert (rc, out, err) == (0, "Tls\n", ""), err
    # --tls with the CA works the same
    rc, out, err = netns.client("upsc", "--tls", "--cafile", os.path.join(pki, "ca.pem"), ups,
                                "ups.mfr")
    assert (rc, out, err) == (0, "Tls\n", ""), err


def test_default_warns_when_starttls_refused(procs, base, run_user, netns):
    """NUT's upsd on a non-loopback address without TLS: the client goes on
    in plain text and says so on stderr; --tls refuses."""
    dev = os.path.join(base, "plain.dev")
    with open(dev, "w") as f:
        f.write(DEV)
    nutdir = os.path.join(base, "plain")
    os.makedirs(nutdir)
    peer = NutPeer(procs, nutdir, {"ups": dev}, users=USERS)
    peer.start_drivers()
    port = free_port()
    with open(os.path.join(peer.dir, "upsd.conf"), "w") as f:
        f.write("LISTEN %s %d\nSTATEPATH %s\n" % (netns.host_ip, port, peer.dir))
    from nut_peer import NUT_UPSD
    procs.start([NUT_UPSD, "-F", "-u", "root"], env=peer.env, name="nut-upsd-veth")
    wait_for_port(port, host=netns.host_ip)
    wait_for_ups(port, "ups", host=netns.host_ip)
    ups = "ups@%s:%d" % (netns.host_ip, port)
    rc, out, err = netns.client("upsc", ups, "ups.mfr")
    assert (rc, out) == (0, "Tls\n"), err
    assert "Warning:" in err and "refused STARTTLS" in err and "NOT encrypted" in err, err
    rc, out, err = netns.client("upsc", "--tls", ups, "ups.mfr")
    assert rc == 1 and out == "" and "refused STARTTLS" in err


def test_ipv6_literal_and_host_names(procs, base):
    """ups@[::1]:port, and localhost resolving to both families."""
    dev = os.path.join(base, "v6.dev")
    with open(dev, "w") as f:
        f.write(DEV)
    nutdir = os.path.join(base, "v6")
    os.makedirs(nutdir)
    port = free_port()
    peer = NutPeer(procs, nutdir, {"ups": dev}, users=USERS, upsd_extra="LISTEN ::1 %d\n" % port)
    peer.start_drivers().start_upsd(port=port)
    for target in ("ups@[::1]:%d" % port, "ups@localhost:%d" % port,
                   "ups@127.0.0.1:%d" % port):
        rc, out, err = ours("upsc", target, "ups.mfr")
        assert (rc, out, err) == (0, "Tls\n", ""), (target, err)
    rc, out, err = ours("upsc", "-l", "[::1]:%d" % port)
    assert (rc, out) == (0, "ups\n"), err
    rc, out, err = ours("upscmd", "-l", "ups@[::1]:%d" % port)
    assert rc == 0 and out.startswith("Instant commands supported on UPS [ups]:"), err


def test_reads_with_credentials_off_loopback(procs, base, peer, run_user, netns):
    """Our upsd refuses anonymous reads from other hosts by default: the
    read-only clients send configured credentials (file or environment)."""
    os.makedirs(os.path.join(base, "pki"))
    pki = make_pki(os.path.join(base, "pki"), [netns.host_ip])
    srv = OurTlsUpsd(procs, base, peer, run_user, netns.host_ip, pki, anon_any=False)
    ups = "ups@%s:%d" % (netns.host_ip, srv.port)
    ca = ["--cafile", os.path.join(pki, "ca.pem")]
    creds = os.path.join(base, "creds")
    with open(creds, "w") as f:
        f.write("username = admin\npassword = secret\n")
    os.chmod(creds, 0o600)
    srv.wait_data(*ca, "--credentials", creds, runner=netns.client)
    rc, out, err = netns.client("upsc", *ca, ups, "ups.mfr")
    assert rc == 1 and "Access denied" in err, err
    for prog, args in [("upsc", [ups, "ups.mfr"]), ("upsrw", [ups]), ("upscmd", ["-l", ups])]:
        rc, out, err = netns.client(prog, *ca, "--credentials", creds, *args)
        assert rc == 0 and out, (prog, err)
        assert err == "", (prog, err)
    r = subprocess.run(["ip", "netns", "exec", netns.name, our_bin("upsc")] + ca + [ups, "ups.mfr"],
                       capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, UPSGUARD_USERNAME="admin", UPSGUARD_PASSWORD="secret"))
    assert (r.returncode, r.stdout) == (0, "Tls\n"), r.stderr
    # upslog keeps its credentials across reconnects (read before its sandbox)
    log = os.path.join(base, "netns.log")
    procs.start(["ip", "netns", "exec", netns.name, our_bin("upslog"), "-F", "-i", "1"] + ca +
                ["--credentials", creds, "-s", ups, "-l", log, "-f", "[%VAR ups.mfr%]"],
                name="upslog-netns")
    wait_for(lambda: os.path.exists(log) and open(log).read().count("[Tls]") >= 2, 15,
             what="upslog lines with data")
