"""Hostile clients: 1 MB lines, binary junk, unterminated quotes, 10 000
pipelined requests, slow-loris, a client that never reads.  upsd keeps
answering everybody else and its memory (VmRSS) stays bounded."""
import os
import socket
import threading
import time

import pytest

from upsd_helpers import FakeDriver, OurUpsd, Session, opendir  # noqa: F401

USERS = "[admin]\n  password = secret\n  actions = SET\n"
UPS_CONF = "[fake]\n  driver = dummy-ups\n  port = none\n"

# VmRSS growth allowed over a whole hostile test (KiB).
RSS_SLACK_KIB = 16 * 1024


@pytest.fixture
def ours(procs, opendir):
    f = FakeDriver(os.path.join(opendir, "dummy-ups-fake"))
    f.var("ups.status", "OL")
    for i in range(60):
        f.var("test.var%02d" % i, "value %d with some text" % i)
    f.start()
    o = OurUpsd(procs, opendir, opendir, UPS_CONF, USERS,
                conf_extra="CLIENT_TIMEOUT 30\n").start(wait=["fake"])
    yield o
    f.stop()


def responsive(port, limit=1.0):
    t0 = time.monotonic()
    s = Session(port, timeout=limit + 2)
    assert s.cmd("GET VAR fake ups.status") == 'VAR fake ups.status "OL"'
    s.close()
    took = time.monotonic() - t0
    assert took < limit, "upsd took %.2fs to answer" % took


def test_huge_lines_and_junk(ours):
    base = ours.rss_kib()
    big = socket.create_connection(("127.0.0.1", ours.port))
    chunk = b"A" * 65536
    for _ in range(16):  # 1 MiB without a newline
        big.sendall(chunk)
        responsive(ours.port)
    big.sendall(b"\nNETVER\n")
    big.settimeout(5)
    buf = b""
    while b"1.3\n" not in buf:
        buf += big.recv(4096)
    junk = socket.create_connection(("127.0.0.1", ours.port))
    junk.sendall(bytes(range(256)) * 4096)
    responsive(ours.port)
    quote = socket.create_connection(("127.0.0.1", ours.port))
    quote.sendall(b'GET VAR "fake ' + b"x" * 200000)
    responsive(ours.port)
    assert ours.rss_kib() - base < RSS_SLACK_KIB


def test_pipelined_10000(ours):
    s = socket.create_connection(("127.0.0.1", ours.port))
    s.settimeout(20)
    n = 10000
    s.sendall(b"GET VAR fake ups.status\n" * n)
    want = b'VAR fake ups.status "OL"\n' * n
    got = b""
    while len(got) < len(want):
        c = s.recv(1 << 20)
        if not c:
            break
        got += c
    assert got == want
    responsive(ours.port)


def test_slow_loris(ours):
    base = ours.rss_kib()
    loris = [socket.create_connection(("127.0.0.1", ours.port)) for _ in range(200)]
    for rnd in range(6):
        for s in loris:
            s.sendall(b"GET VAR fake " if rnd == 0 else b"x")
        responsive(ours.port)
        time.sleep(0.2)
    assert ours.rss_kib() - base < RSS_SLACK_KIB
    for s in loris:
        s.close()


def test_client_that_never_reads(ours):
    base = ours.rss_kib()
    stop = threading.Event()
    hog = socket.create_connection(("127.0.0.1", ours.port))
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)

    def flood():
        hog.settimeout(0.5)
        while not stop.is_set():
            try:
                hog.sendall(b"LIST VAR fake\n" * 1000)
            except (socket.timeout, OSError):
                pass

    t = threading.Thread(target=flood, daemon=True)
    t.start()
    try:
        for _ in range(10):
            time.sleep(0.3)
            responsive(ours.port)
        grown = ours.rss_kib() - base
        assert grown < RSS_SLACK_KIB, "upsd grew by %d KiB" % grown
    finally:
        stop.set()
        t.join(5)
        hog.close()
    responsive(ours.port)
