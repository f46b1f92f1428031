"""Hostile HTTP clients against upsweb: path traversal, oversized headers,
bodies and URIs, garbage, slow clients and thousands of connections.
upsweb must stay up, keep serving others, not spin, and keep its memory
bounded."""
import os
import resource
import socket
import time

import pytest

from conftest import free_port, wait_for
from upsweb_helpers import Upsweb


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raw(port, data, timeout=5.0, read=True):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if not read:
            return b""
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        return out


@pytest.fixture
def web(procs, workdir):
    # No upsd needed: the HTTP side is under test (the UPS shows unreachable).
    return Upsweb(procs, workdir, [("ghost@127.0.0.1:%d" % free_port(), "x")],
                  conf_lines=["MAX_CONNECTIONS 100", "REQUEST_TIMEOUT 3"]).start()


def alive(web):
    status, _, body = web.get("/healthz")
    return status == 200 and body.startswith(b"ok")


def test_path_traversal_never_reaches_files(web):
    for path in ("/static/../../../../etc/passwd", "/static/..%2f..%2f..%2fetc%2fpasswd",
                 "/static/%2e%2e/%2e%2e/etc/passwd", "/../../etc/passwd",
                 "/static//etc/passwd", "/static/app.css%00.js", "/static/%00",
                 "/ups/..%2f..%2fetc%2fpasswd", "/api/v1/ups/%2e%2e", "/static/app.css/",
                 "/STATIC/app.css", "//etc/passwd", "/static/app.css?../../etc/passwd=1"):
        status, headers, body = web.get(path)
        assert b"root:" not in body, path
        if path.startswith("/static/app.css?"):
            assert status == 200  # the query is ignored, the asset is served
        else:
            assert status in (400, 404), (path, status)
        if status in (400, 404):
            assert headers.get("x-content-type-options") == "nosniff", path
    # Raw request targets that HTTP clients would normalise.
    for target in (b"/static/../../etc/passwd", b"..", b"*", b"http://evil/../etc/passwd",
                   b"/\x01\x02", b"/static/\xff\xfe"):
        out = raw(web.port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b"root:" not in out, target
        assert out == b"" or out.split(b" ")[1] in (b"400", b"404"), (target, out[:80])
    assert alive(web)


def test_oversized_requests_are_refused(web):
    # One huge header, many headers, a huge URI, a huge body, garbage.
    big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n"
    out = raw(web.port, big)
    assert out == b"" or b" 400 " in out.split(b"\r\n")[0] or b" 413 " in out.split(b"\r\n")[0]
    many = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(
        b"X-%d: y\r\n" % i for i in range(5000)) + b"\r\n"
    out = raw(web.port, many)
    assert b"200 OK" not in out
    uri = b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    out = raw(web.port, uri)
    assert b"200 OK" not in out
    body = b"x" * 100000
    out = raw(web.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
              + body)
    assert b"200 OK" not in out
    out = raw(web.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n")
    assert b"200 OK" not in out
    for junk in (b"\x00\x01\x02\x03" * 1000, b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                 b"\r\n" * 10000, b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"):
        raw(web.port, junk)
    assert alive(web)


def test_slow_clients_are_dropped_and_others_served(web):
    slow = []
    for _ in range(40):
        s = socket.create_connection(("127.0.0.1", web.port), timeout=10)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never finished
        slow.append(s)
    # Others are served while the slow ones hang.
    t0 = time.monotonic()
    assert alive(web)
    assert time.monotonic() - t0 < 2
    # After REQUEST_TIMEOUT (3 s) the server has closed them.
    time.sleep(5)
    closed = 0
    for s in slow:
        s.settimeout(2)
        try:
            data = s.recv(100)
            # EOF, or an error page followed by EOF.
            if data == b"" or (data.startswith(b"HTTP/1.1 4") and s.recv(100000) == b""):
                closed += 1
        except socket.timeout:
            pass  # still open: not dropped
        except OSError:
            closed += 1
        s.close()
    assert closed == len(slow)
    assert alive(web)


def test_thousands_of_connections_stay_bounded(web):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 8192)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    n = min(3000, want - 200)
    assert n >= 1500, "the test process needs more than 1700 file descriptors"
    assert alive(web)
    rss0 = web.rss_kb()
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", web.port))
            except BlockingIOError:
                pass
            socks.append(s)
        # Half of them send a partial request, to cost the server buffers.
        for s in socks[::2]:
            try:
                s.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 4000)
            except OSError:
                pass
        time.sleep(1.0)
        # upsweb is bounded (MAX_CONNECTIONS 100 -> descriptor limit) and
        # does not spin while its descriptors are exhausted.
        cpu0 = cpu_seconds(web.proc.pid)
        time.sleep(2.0)
        spent = cpu_seconds(web.proc.pid) - cpu0
        assert spent < 1.0, "upsweb burnt %.2f s of CPU in 2 s while flooded" % spent
        fds = len(os.listdir("/proc/%d/fd" % web.proc.pid))
        assert fds <= 100 + 64, fds
        assert web.proc.alive()
        rss1 = web.rss_kb()
        assert rss1 - rss0 < 40000, (rss0, rss1)
    finally:
        for s in socks:
            s.close()
    # Once the flood is gone (idle ones time out), everyone is served again.
    wait_for(lambda: alive(web), 20, interval=0.5, what="upsweb serving after the flood")
    assert web.proc.alive()


def test_dribbling_clients_hit_the_request_deadline(web):
    """A client sending one header byte at a time resets evhttp's idle
    timeout forever; upsweb cuts it after 2 x REQUEST_TIMEOUT (6 s here)."""
    s = socket.create_connection(("127.0.0.1", web.port), timeout=2)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    t0 = time.monotonic()
    closed_after = None
    while time.monotonic() - t0 < 15:
        try:
            s.sendall(b"a")
            s.settimeout(1.0)
            data = s.recv(100)
            if data == b"" or data.startswith(b"HTTP/1.1 4"):
                closed_after = time.monotonic() - t0
                break
        except socket.timeout:
            continue
        except OSError:
            closed_after = time.monotonic() - t0
            break
    s.close()
    assert closed_after is not None, "the dribbling client was never dropped"
    assert 4 < closed_after < 10, closed_after
    # Normal keep-alive clients are not affected by it.
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    for _ in range(3):
        c.request("GET", "/healthz")
        assert c.getresponse().read().startswith(b"ok")
        time.sleep(1)
    c.close()
    assert alive(web)
