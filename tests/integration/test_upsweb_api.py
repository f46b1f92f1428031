"""upsweb against a real upsd (NUT 2.8.0's, fed by NUT's dummy-ups with a
.seq file going OL -> OB): JSON API, Prometheus metrics (checked by
promtool), pages without JavaScript, security headers, read-only routes,
and the -t/-T/-h options."""
import os
import re
import subprocess

import pytest

from conftest import DDL_DIR, wait_for
from nut_peer import NutPeer
from upsweb_helpers import (FORCED_FLAGS, ON_BATTERY, ONLINE, Upsweb, metric, parse_metrics,
                            promtool, write_seq)

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def start_pair(procs, workdir, online_secs=6, extra=(), conf_lines=()):
    seq = os.path.join(str(workdir), "acme.seq")
    write_seq(seq, [(ONLINE, online_secs), (ON_BATTERY, 0)])
    upses = {"acme": (seq, "Acme")}
    for name, dev in extra:
        upses[name] = (dev, name)
    nut = NutPeer(procs, workdir, upses).start()
    monitors = [(nut.addr("acme"), "Rack A")] + [(nut.addr(n), n) for n, _ in extra]
    web = Upsweb(procs, workdir, monitors, conf_lines=conf_lines).start()
    return nut, web


def check_security_headers(headers):
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "default-src 'none'" in csp
    for k, v in SECURITY_HEADERS.items():
        assert headers.get(k) == v, (k, headers)


def test_json_api_follows_the_ups_from_online_to_battery(procs, workdir):
    nut, web = start_pair(procs, workdir)
    acme = nut.addr("acme")
    data = web.wait_json("/api/v1/ups", lambda d: d["ups"][0]["reachable"], what="first poll")
    u = data["ups"][0]
    assert u["id"] == acme and u["name"] == "acme" and u["desc"] == "Rack A"
    assert u["status"] == "OL CHRG" and u["flags"] == ["OL", "CHRG"]
    assert u["status_text"] == "On line, Charging" and u["severity"] == "ok"
    assert u["summary"]["battery.charge"] == 97
    assert u["summary"]["battery.runtime"] == 2730
    assert u["summary"]["input.voltage"] == 231.5
    since_ol = u["status_since"]

    one = web.json("/api/v1/ups/" + acme)
    names = {v["name"]: v for v in one["variables"]}
    assert names["ups.model"]["value"] == "Guardian 1500"
    # Descriptions and types come from upsd (GET DESC / GET TYPE).
    assert names["battery.charge"]["desc"] == "Battery charge (percent of full)"
    assert "NUMBER" in names["battery.charge"]["type"]
    assert [c["name"] for c in one["commands"]] == ["load.off"]
    assert one["actions"] == {"commands": False, "writes": False}
    # Plain UPS name works as an id when it is unique.
    assert web.json("/api/v1/ups/acme")["id"] == acme

    data = web.wait_json("/api/v1/ups", lambda d: d["ups"][0]["status"] == "OB DISCHRG",
                         timeout=30, what="OB")
    u = data["ups"][0]
    assert u["severity"] == "warn" and u["status_text"] == "On battery, Discharging"
    assert u["summary"]["battery.charge"] == 81
    assert u["status_since"] > since_ol

    hist = web.json("/api/v1/ups/%s/history" % acme)
    assert hist["series"] == ["battery.charge", "ups.load", "battery.runtime", "input.voltage"]
    charges = [p[1] for p in hist["points"]]
    assert 97 in charges and 81 in charges
    assert all(len(p) == 5 for p in hist["points"])
    last_t = hist["points"][-1][0]
    newer = web.json("/api/v1/ups/%s/history?since=%d" % (acme, last_t))
    assert all(p[0] > last_t for p in newer["points"])

    status, headers, body = web.get("/api/v1/ups/nosuch")
    assert status == 404 and b"unknown UPS" in body
    check_security_headers(headers)


def test_metrics_match_nut_exporter_and_pass_promtool(procs, workdir):
    eaton = os.path.join(DDL_DIR, "Eaton__5PX_2000__usbhid-ups__2.7.4__01.dev")
    nut, web = start_pair(procs, workdir, online_secs=4, extra=[("eaton", eaton)])
    web.wait_json("/api/v1/ups", lambda d: all(u["reachable"] for u in d["ups"]))
    status, headers, body = web.get("/metrics")
    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    check_security_headers(headers)
    text = body.decode()
    m = parse_metrics(text)
    server = "127.0.0.1:%d" % nut.port
    assert metric(m, "network_ups_tools_battery_charge", ups="acme", server=server) == 97
    assert metric(m, "network_ups_tools_ups_load", ups="acme") == 23
    assert metric(m, "network_ups_tools_input_voltage", ups="acme") == 231.5
    assert metric(m, "network_ups_tools_battery_voltage_nominal", ups="acme") == 24
    # nut_exporter's default on/off words become 1/0.
    assert metric(m, "network_ups_tools_ups_beeper_status", ups="acme") == 1
    # One ups_status series per flag of the forced list, 1 for those set.
    for flag in FORCED_FLAGS:
        want = 1 if flag in ("OL", "CHRG") else 0
        assert metric(m, "network_ups_tools_ups_status", ups="acme", flag=flag) == want, flag
    # Flags outside the list are exported when present (Eaton's dump: ALARM).
    assert metric(m, "network_ups_tools_ups_status", ups="eaton", flag="ALARM") == 1
    assert metric(m, "network_ups_tools_ups_status", ups="eaton", flag="RB") == 1
    info = [k for k in m if k[0] == "network_ups_tools_device_info" and ("ups", "eaton") in k[1]]
    assert len(info) == 1 and ("model", "Eaton 5PX 2000") in info[0][1]
    assert ("mfr", "EATON") in info[0][1] and ("serial", "G098D27047") in info[0][1]
    assert metric(m, "upsweb_ups_up", ups="eaton") == 1
    # Each family is announced once with HELP and TYPE (from GET DESC).
    assert text.count("# TYPE network_ups_tools_battery_charge gauge") == 1
    assert "# HELP network_ups_tools_battery_charge Battery charge (percent of full) " \
        "(battery.charge)" in text
    check_promtool(text)

    wait_for(lambda: metric(parse_metrics(web.get("/metrics")[2].decode()),
                            "network_ups_tools_ups_status", ups="acme", flag="OB") == 1,
             30, interval=0.3, what="OB in metrics")
    text = web.get("/metrics")[2].decode()
    m = parse_metrics(text)
    assert metric(m, "network_ups_tools_ups_status", ups="acme", flag="OL") == 0
    assert metric(m, "network_ups_tools_ups_status", ups="acme", flag="DISCHRG") == 1
    check_promtool(text)


def check_promtool(text):
    tool = promtool()
    if not tool:
        pytest.fail("promtool is missing: install Debian package 'prometheus'")
    r = subprocess.run([tool, "check", "metrics"], input=text, capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("dev", sorted(f for f in os.listdir(DDL_DIR) if f.endswith(".dev"))[::4])
def test_metrics_of_real_device_dumps_pass_promtool(procs, workdir, dev):
    """Real devices' variable sets (the DDL dumps) give valid metrics."""
    nut = NutPeer(procs, workdir, {"dev": (os.path.join(DDL_DIR, dev), "d")}).start()
    web = Upsweb(procs, workdir, [(nut.addr("dev"), "d")]).start()
    web.wait_json("/api/v1/ups", lambda d: d["ups"][0]["reachable"])
    text = web.get("/metrics")[2].decode()
    assert "network_ups_tools_device_info{" in text
    check_promtool(text)
    status, _, body = web.get("/ups/dev")
    assert status == 200 and b"<table" in body


def test_pages_work_without_javascript(procs, workdir):
    nut, web = start_pair(procs, workdir)
    acme = nut.addr("acme")
    web.wait_json("/api/v1/ups", lambda d: d["ups"][0]["reachable"])
    status, headers, body = web.get("/")
    page = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    check_security_headers(headers)
    assert "On line, Charging" in page and "97 %" in page and "45 min 30 s" in page
    assert "231.5 V" in page and "229.8 V" in page and "23 %" in page
    assert 'class="card sev-ok"' in page
    assert '<meter min="0" max="100"' in page
    # A plain refresh without JavaScript, and no inline script or style.
    assert '<noscript><meta http-equiv="refresh"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "style=" not in page and "<style" not in page
    status, _, body = web.get("/ups/" + acme)
    page = body.decode()
    assert status == 200
    assert "Battery charge (percent of full)" in page and "Guardian 1500" in page
    assert 'id="chart-0"' in page and "load.off" in page
    for asset, ctype in (("app.css", "text/css"), ("app.js", "text/javascript"),
                         ("favicon.svg", "image/svg+xml")):
        status, headers, body = web.get("/static/" + asset)
        assert status == 200 and headers["content-type"].startswith(ctype) and body
        check_security_headers(headers)
    status, _, _ = web.get("/static/nosuch.js")
    assert status == 404
    status, headers, body = web.get("/healthz")
    assert status == 200 and body.startswith(b"ok 1/1")
    check_security_headers(headers)


def test_read_only_by_default(procs, workdir):
    nut, web = start_pair(procs, workdir)
    acme = nut.addr("acme")
    # Disabled actions do not exist: 404 for every method, POST is not even allowed.
    for path in ("/login", "/logout", "/ups/%s/command" % acme, "/ups/%s/set" % acme):
        status, _, _ = web.get(path)
        assert status == 404, path
        status, _, _ = web.request("POST", path, body="cmd=load.off",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status in (404, 405), (path, status)
    status, _, body = web.get("/ups/" + acme)
    assert b"<form" not in body and b"Sign in" not in body
    status, _, _ = web.request("PUT", "/")
    assert status == 405


def test_unreachable_upsd_is_reported_not_fatal(procs, workdir):
    from conftest import free_port
    dead = free_port()
    web = Upsweb(procs, workdir, [("ghost@127.0.0.1:%d" % dead, "nobody home")]).start()
    d = web.wait_json("/api/v1/ups", lambda d: d["ups"][0]["polled"])
    u = d["ups"][0]
    assert not u["reachable"] and u["severity"] == "unknown" and u["error"]
    status, _, body = web.get("/")
    assert status == 200 and b"Unreachable" in body
    text = web.get("/metrics")[2].decode()
    assert 'upsweb_ups_up{ups="ghost"' in text
    check_promtool(text)


def test_check_print_and_help(procs, workdir):
    web = Upsweb(procs, workdir, [("a@localhost", "A"), ("b@[::1]:3494", "B")],
                 conf_lines=["ALLOW_COMMANDS yes", "LOGIN_RATE 3 30"])
    r = web.run(["-t"])
    assert r.returncode == 0, r.stderr
    r = web.run(["-T"])
    assert r.returncode == 0
    assert "LISTEN 127.0.0.1 %d" % web.port in r.stdout
    assert "ALLOW_COMMANDS yes" in r.stdout and "ALLOW_WRITES no" in r.stdout
    assert "LOGIN_RATE 3 30" in r.stdout
    assert "a@localhost" in r.stdout
    r = web.run(["-h"])
    assert r.returncode == 0 and "-t" in r.stdout and "upsweb" in r.stdout
    assert "net-server" in r.stdout or "bind" in r.stdout.lower()

    with open(os.path.join(web.dir, "upsweb.conf"), "a") as f:
        f.write("POLLFREQ soon\nNOSUCH 1\nLISTEN 192.0.2.1 80\n")
    r = web.run(["-t"])
    assert r.returncode == 1
    conf = os.path.join(web.dir, "upsweb.conf")
    assert "%s:6: POLLFREQ" % conf in r.stderr
    assert "%s:7: unknown directive NOSUCH" % conf in r.stderr
    assert "not loopback" in r.stderr
    with open(os.path.join(web.dir, "hosts.conf"), "a") as f:
        f.write("MONITOR\n")
    r = web.run(["-t"])
    assert r.returncode == 1 and "hosts.conf:3:" in r.stderr


def test_own_tls_when_a_certificate_is_configured(procs, workdir):
    import http.client
    import ssl
    cert = os.path.join(str(workdir), "cert.pem")
    key = os.path.join(str(workdir), "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=60)
    os.chmod(key, 0o644)
    from conftest import free_port, wait_for_port
    web = Upsweb(procs, workdir, [("ghost@127.0.0.1:%d" % free_port(), "x")],
                 conf_lines=["CERTFILE %s" % cert, "KEYFILE %s" % key])
    web.start(wait=False)
    wait_for_port(web.port)
    ctx = ssl.create_default_context(cafile=cert)
    c = http.client.HTTPSConnection("127.0.0.1", web.port, context=ctx, timeout=5)
    c.request("GET", "/healthz")
    r = c.getresponse()
    assert r.status == 200 and r.read().startswith(b"ok")
    assert r.getheader("Strict-Transport-Security") == "max-age=31536000"
    assert r.getheader("X-Content-Type-Options") == "nosniff"
    c.close()
    # Plain HTTP on the TLS port gets no page.
    with __import__("socket").create_connection(("127.0.0.1", web.port), timeout=5) as s:
        s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        try:
            data = s.recv(100)
        except OSError:
            data = b""
        assert b"200 OK" not in data
    # Old protocol versions are refused.
    import warnings
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.check_hostname = False
    old.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    c = http.client.HTTPSConnection("127.0.0.1", web.port, context=old, timeout=5)
    with pytest.raises((ssl.SSLError, OSError)):
        c.request("GET", "/healthz")
        c.getresponse()
    c.close()
    assert web.proc.alive()


def test_localhost_name_reaches_an_ipv4_only_upsd(procs, workdir):
    """'localhost' may resolve to ::1 first; NUT's upsd here listens on
    127.0.0.1 only: upsweb tries every address of the name."""
    seq = os.path.join(str(workdir), "acme.seq")
    write_seq(seq, [(ONLINE, 0)])
    nut = NutPeer(procs, workdir, {"acme": (seq, "Acme")}).start()
    web = Upsweb(procs, workdir, [("acme@localhost:%d" % nut.port, "by name")]).start()
    d = web.wait_json("/api/v1/ups", lambda d: d["ups"][0]["polled"])
    d = web.wait_json("/api/v1/ups", lambda d: d["ups"][0]["reachable"], timeout=10)
    assert d["ups"][0]["id"] == "acme@localhost:%d" % nut.port
    assert d["ups"][0]["summary"]["battery.charge"] == 97


def test_methods_and_odd_queries(procs, workdir):
    from conftest import free_port
    web = Upsweb(procs, workdir, [("ghost@127.0.0.1:%d" % free_port(), "x")]).start()
    status, headers, body = web.request("HEAD", "/metrics")
    assert status == 200 and body == b""
    assert headers["x-content-type-options"] == "nosniff"
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH"):
        status, headers, _ = web.request(method, "/api/v1/ups")
        assert status == 405, method
        assert headers["allow"] == "GET, HEAD"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
    for q in ("since=abc", "since=-5", "since=99999999999999999999", "since=1&since=2",
              "%zz", "since"):
        status, _, body = web.get("/api/v1/ups/ghost/history?" + q)
        assert status == 200, q
        assert b'"points":[' in body
    status, _, _ = web.get("/api/v1/ups/ghost%00/history")
    assert status == 400
    assert web.proc.alive()


def test_alarm_text_is_shown(procs, workdir):
    eaton = os.path.join(DDL_DIR, "Eaton__5PX_2000__usbhid-ups__2.7.4__01.dev")
    nut = NutPeer(procs, workdir, {"eaton": (eaton, "Eaton")}).start()
    web = Upsweb(procs, workdir, [(nut.addr("eaton"), "Eaton 5PX")]).start()
    web.wait_json("/api/v1/ups", lambda d: d["ups"][0]["reachable"])
    page = web.get("/")[2].decode()
    assert '<p class="alarm" data-field="ups.alarm">Replace battery!</p>' in page
    assert 'class="card sev-warn"' in page
