"""Operations: -t/-T/-h, reload by SIGHUP and -c reload without dropping
clients, -c stop, idle timeout, MAXCONN, IPv6 and '*', systemd readiness
and socket activation, driver reconnects."""
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import free_port, our_bin, wait_for
from upsd_helpers import FakeDriver, OurUpsd, Session, opendir, wait_until  # noqa: F401

USERS = """[admin]
  password = secret
  actions = SET FSD
  instcmds = ALL
"""
UPS_CONF = "[fake]\n  driver = dummy-ups\n  port = none\n  desc = \"First\"\n"


@pytest.fixture
def fake(opendir):
    f = FakeDriver(os.path.join(opendir, "dummy-ups-fake"))
    f.var("ups.status", "OL")
    f.var("device.model", "Ops test")
    f.start()
    yield f
    f.stop()


def run_upsd(ours, *args):
    return subprocess.run([our_bin("upsd")] + list(args), env=dict(os.environ, **ours.env),
                          capture_output=True, text=True, timeout=20)


def test_check_print_help(procs, opendir, fake):
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, USERS, conf_extra="MAXAGE 20\n")
    out = run_upsd(ours, "-t")
    assert out.returncode == 0, out
    out = run_upsd(ours, "-T")
    assert out.returncode == 0 and "MAXAGE 20" in out.stdout and "[fake]" in out.stdout, out
    assert "secret" not in out.stdout
    out = run_upsd(ours, "-h")
    assert out.returncode == 0 and "-c cmd" in out.stdout and "Sandbox" in out.stdout, out
    assert "net-server" in out.stdout or "bind" in out.stdout, out
    with open(os.path.join(ours.dir, "upsd.conf"), "a") as f:
        f.write("MAXAGE many\n")
    out = run_upsd(ours, "-t")
    assert out.returncode == 1 and "upsd.conf:" in out.stderr, out
    out = run_upsd(ours, "-x")
    assert out.returncode != 0 and "usage" in out.stderr


def test_reload_keeps_clients_and_stop(procs, opendir, fake):
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, USERS).start(wait=["fake"])
    s = Session(ours.port)
    assert s.cmd("USERNAME admin") == "OK" and s.cmd("PASSWORD secret") == "OK"
    assert s.cmd("FSD fake") == "OK FSD-SET"
    f2 = FakeDriver(os.path.join(opendir, "dummy-ups-second")).var("ups.status", "OB").start()
    try:
        with open(os.path.join(ours.dir, "ups.conf"), "a") as f:
            f.write("[second]\n  driver = dummy-ups\n  port = none\n")
        with open(os.path.join(ours.dir, "ups.conf")) as f:
            text = f.read().replace('"First"', '"Renamed"')
        with open(os.path.join(ours.dir, "ups.conf"), "w") as f:
            f.write(text)
        ours.proc.signal(signal.SIGHUP)
        wait_until(lambda: Session(ours.port).cmd("GET VAR second ups.status")
                   == 'VAR second ups.status "OB"', what="the new UPS after SIGHUP")
        # The old connection survives, and so does the FSD latch of a kept UPS.
        assert s.cmd("GET UPSDESC fake") == 'UPSDESC fake "Renamed"'
        assert s.cmd("GET VAR fake ups.status") == 'VAR fake ups.status "FSD OL"'
        # Rights are re-read: admin loses FSD through -c reload.
        with open(os.path.join(ours.dir, "upsd.users"), "w") as f:
            f.write("[admin]\n  password = secret\n  actions = SET\n")
        assert run_upsd(ours, "-c", "reload").returncode == 0
        wait_until(lambda: s.cmd("FSD fake") == "ERR ACCESS-DENIED", what="new rights")
        # A broken ups.conf on reload keeps the running configuration.
        with open(os.path.join(ours.dir, "ups.conf"), "a") as f:
            f.write("[broken\n")
        ours.proc.signal(signal.SIGHUP)
        time.sleep(0.5)
        assert s.cmd("GET VAR second ups.status") == 'VAR second ups.status "OB"'
        assert "reload failed" in ours.proc.output()
        assert run_upsd(ours, "-c", "stop").returncode == 0
        wait_for(lambda: not ours.proc.alive(), timeout=10, what="upsd to stop")
    finally:
        f2.stop()


def test_reload_applies_upsd_conf(procs, opendir, fake):
    """SIGHUP re-reads upsd.conf as NUT's upsd does: run-time settings apply
    at once; a listener change is refused with a warning until a restart."""
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, USERS).start(wait=["fake"])
    s = Session(ours.port)
    assert s.cmd("GET VAR fake ups.status") == 'VAR fake ups.status "OL"'
    other = free_port()
    with open(os.path.join(ours.dir, "upsd.conf"), "a") as f:
        f.write("ANONYMOUS_READ none\nCLIENT_TIMEOUT 2\nDEBUG_MIN 1\nLISTEN 127.0.0.1 %d\n"
                % other)
    ours.proc.signal(signal.SIGHUP)
    wait_until(lambda: s.cmd("GET VAR fake ups.status").startswith("ERR ACCESS-DENIED"),
               what="ANONYMOUS_READ none to apply to a connected client")
    assert "LISTEN changed in upsd.conf" in ours.proc.output()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", other), timeout=2).close()
    # the running listener stays, and the new idle time-out applies to it
    idle = socket.create_connection(("127.0.0.1", ours.port))
    idle.settimeout(6)
    t0 = time.monotonic()
    assert idle.recv(10) == b"", "the idle client should have been dropped"
    assert time.monotonic() - t0 < 5
    # DEBUG_MIN 1 raised the log level: the idle drop is a level-1 message
    wait_until(lambda: "Disconnecting idle client" in ours.proc.output(),
               what="the debug message DEBUG_MIN enables")
    # a broken upsd.conf keeps everything as it was
    with open(os.path.join(ours.dir, "upsd.conf"), "a") as f:
        f.write("MAXAGE many\n")
    ours.proc.signal(signal.SIGHUP)
    wait_until(lambda: "reload failed" in ours.proc.output(), what="the refused reload")
    assert Session(ours.port).cmd("NETVER") == "1.3"


def test_idle_timeout_and_maxconn(procs, opendir, fake):
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, USERS,
                   conf_extra="CLIENT_TIMEOUT 2\nMAXCONN 4\n").start(wait=["fake"])
    idle = socket.create_connection(("127.0.0.1", ours.port))
    busy = Session(ours.port)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 4.5:
        assert busy.cmd("NETVER") == "1.3"
        time.sleep(0.5)
    idle.settimeout(2)
    assert idle.recv(10) == b"", "the idle client should have been dropped"
    others = [Session(ours.port) for _ in range(3)]  # busy + 3 = MAXCONN
    for o in others:
        assert o.cmd("NETVER") == "1.3"
    extra = socket.create_connection(("127.0.0.1", ours.port))
    extra.settimeout(3)
    extra.sendall(b"NETVER\n")
    try:
        assert extra.recv(10) == b""
    except ConnectionResetError:
        pass
    assert "MAXCONN" in ours.proc.output()


def test_ipv6_and_wildcard(procs, opendir, fake):
    port = free_port()
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, USERS,
                   listen="LISTEN ::1 %d\nLISTEN 127.0.0.1 %d\n" % (port, port))
    ours.port = port
    ours.start(wait=["fake"])
    s6 = Session(0, sock=socket.create_connection(("::1", port), timeout=5))
    assert s6.cmd("GET VAR fake ups.status") == 'VAR fake ups.status "OL"'
    ours.proc.stop()
    port2 = free_port()
    star = OurUpsd(procs, opendir, opendir, UPS_CONF, USERS, name="star",
                   listen="LISTEN * %d\n" % port2, conf_extra="ALLOW_PLAINTEXT_LISTEN yes\n")
    star.port = port2
    star.start(wait=["fake"])
    for host in ("127.0.0.1", "::1"):
        s = Session(0, sock=socket.create_connection((host, port2), timeout=5))
        assert s.cmd("NETVER") == "1.3"


def test_systemd_notify_and_socket_activation(procs, opendir, fake):
    sock_path = os.path.join(opendir, "notify.sock")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(sock_path)
    os.chmod(sock_path, 0o666)
    ns.settimeout(10)
    port = free_port()
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, USERS)
    ours.env["NOTIFY_SOCKET"] = sock_path
    ours.port = port
    # systemd-socket-activate binds the port and passes it as fd 3.
    procs.start(["systemd-socket-activate", "-l", "127.0.0.1:%d" % port, "-E",
                 "NUT_CONFPATH=" + ours.dir, "-E", "NUT_STATEPATH=" + opendir, "-E",
                 "NOTIFY_SOCKET=" + sock_path, our_bin("upsd"), "-F"], name="socket-activate")
    time.sleep(0.3)
    s = Session(port)  # the first connection starts upsd
    assert s.cmd("NETVER") == "1.3"
    msg = ns.recv(4096).decode()
    assert "READY=1" in msg, msg
    ns.close()


def test_driver_reconnect(procs, opendir, fake):
    ours = OurUpsd(procs, opendir, opendir, UPS_CONF, USERS).start(wait=["fake"])
    fake.stop()
    wait_until(lambda: Session(ours.port).cmd("GET VAR fake ups.status")
               == "ERR DRIVER-NOT-CONNECTED", what="the lost driver")
    fake.var("ups.status", "OB")
    fake.start()
    wait_until(lambda: Session(ours.port).cmd("GET VAR fake ups.status")
               == 'VAR fake ups.status "OB"', what="the reconnect and a new dump")


def test_chroot(procs, opendir):
    """-r DIR: configuration and driver sockets are found inside DIR, before
    and after the chroot (a reload re-reads them there)."""
    root = os.path.join(opendir, "root")
    for d in ("conf", "state"):
        os.makedirs(os.path.join(root, d))
    os.chmod(root, 0o755)
    f = FakeDriver(os.path.join(root, "state", "dummy-ups-fake")).var("ups.status", "OL").start()
    try:
        ours = OurUpsd(procs, opendir, os.path.join(root, "state"), UPS_CONF, USERS,
                       name="root/conf")
        ours.env = {"NUT_CONFPATH": "/conf", "NUT_STATEPATH": "/state"}
        ours.start(args=["-r", root], wait=["fake"])
        with open(os.path.join(root, "conf", "ups.conf"), "a") as fh:
            fh.write("[second]\n  driver = dummy-ups\n  port = none\n")
        ours.proc.signal(signal.SIGHUP)
        wait_until(lambda: "UPS second" in " ".join(Session(ours.port).cmd("LIST UPS")),
                   what="the reload inside the chroot")
        assert "chroot yes" in ours.proc.output()
        assert Session(ours.port).cmd("GET VAR fake ups.status") == 'VAR fake ups.status "OL"'
    finally:
        f.stop()
