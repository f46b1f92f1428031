"""upsweb against our own upsd and our dummy-ups (.seq going OL -> OB):
JSON API, metrics checked by promtool, and a SET VAR through the login."""
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import wait_for
from upsweb_helpers import (FORCED_FLAGS, ON_BATTERY, ONLINE, OurStack, Upsweb, metric,
                            parse_metrics, promtool, write_seq)


@pytest.fixture
def open_dir(procs):
    """A /tmp directory the run-as user can reach; the programs using it
    are stopped before it is removed."""
    d = tempfile.mkdtemp(prefix="upsguard-web-", dir="/tmp")
    os.chmod(d, 0o755)
    yield d
    procs.stop_all()
    shutil.rmtree(d, ignore_errors=True)


def test_json_and_metrics_against_our_upsd(procs, workdir, run_user, open_dir):
    seq = os.path.join(str(workdir), "acme.seq")
    write_seq(seq, [(ONLINE, 6), (ON_BATTERY, 0)])
    ours = OurStack(procs, open_dir, {"acme": (seq, "Acme")}, run_user).start()
    web = Upsweb(procs, workdir, [(ours.addr("acme"), "Rack A")]).start()
    d = web.wait_json("/api/v1/ups", lambda d: d["ups"][0]["reachable"])
    u = d["ups"][0]
    assert u["status"] == "OL CHRG" and u["summary"]["battery.charge"] == 97
    one = web.json("/api/v1/ups/acme")
    names = {v["name"]: v for v in one["variables"]}
    assert names["ups.model"]["value"] == "Guardian 1500"
    assert names["battery.charge"]["desc"] and names["battery.charge"]["type"]
    text = web.get("/metrics")[2].decode()
    m = parse_metrics(text)
    assert metric(m, "network_ups_tools_battery_charge", ups="acme") == 97
    for flag in FORCED_FLAGS:
        assert metric(m, "network_ups_tools_ups_status", ups="acme", flag=flag) == \
            (1 if flag in ("OL", "CHRG") else 0), flag
    tool = promtool()
    if not tool:
        pytest.fail("promtool is missing: install Debian package 'prometheus'")
    r = subprocess.run([tool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    d = web.wait_json("/api/v1/ups", lambda d: d["ups"][0]["status"] == "OB DISCHRG",
                      timeout=30, what="OB via our upsd")
    assert d["ups"][0]["severity"] == "warn"
    m = parse_metrics(web.get("/metrics")[2].decode())
    assert metric(m, "network_ups_tools_ups_status", ups="acme", flag="OB") == 1
    assert metric(m, "network_ups_tools_battery_charge", ups="acme") == 81


def test_set_var_through_our_upsd(procs, workdir, run_user, open_dir):
    from test_upsweb_actions import cookies_of, csrf_in, request
    seq = os.path.join(str(workdir), "acme.seq")
    write_seq(seq, [(ONLINE, 0)])
    ours = OurStack(procs, open_dir, {"acme": (seq, "Acme")}, run_user).start()
    web = Upsweb(procs, workdir, [(ours.addr("acme"), "Rack A")],
                 conf_lines=["ALLOW_WRITES yes"]).start()
    web.wait_json("/api/v1/ups", lambda d: d["ups"][0]["reachable"])
    status, hdrs, page = request(web, "GET", "/login")
    pre = cookies_of(hdrs)["upsweb_login"][0]
    status, hdrs, _ = request(web, "POST", "/login", {"csrf": pre, "username": "admin",
                                                     "password": "secret"},
                              cookies={"upsweb_login": pre})
    assert status == 303
    session = {"upsweb_session": cookies_of(hdrs)["upsweb_session"][0]}
    status, _, page = request(web, "GET", "/ups/acme", cookies=session)
    token = csrf_in(page)
    status, _, page = request(web, "POST", "/ups/acme/set",
                              {"csrf": token, "var": "ups.mfr", "value": "Ours"}, cookies=session)
    assert status == 200, page
    wait_for(lambda: web.json("/api/v1/ups/acme")["summary"].get("ups.mfr") == "Ours", 15,
             interval=0.3, what="SET VAR through our upsd")
