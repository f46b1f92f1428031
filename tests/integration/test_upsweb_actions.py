"""Optional write side: login checked by upsd, CSRF tokens, same-origin
POSTs, rate limiting, SET VAR and INSTCMD through NUT's upsd."""
import os
import re
import urllib.parse

from conftest import wait_for
from nut_peer import NutPeer
from upsweb_helpers import ONLINE, Upsweb, write_seq

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def cookies_of(headers_list):
    out = {}
    for k, v in headers_list:
        if k.lower() == "set-cookie":
            name, rest = v.split("=", 1)
            out[name] = (rest.split(";", 1)[0], v)
    return out


def request(web, method, path, fields=None, cookies=None, extra=None):
    import http.client
    h = dict(FORM) if fields is not None else {}
    if cookies:
        h["Cookie"] = "; ".join("%s=%s" % kv for kv in cookies.items())
    if extra:
        h.update(extra)
    body = urllib.parse.urlencode(fields) if fields is not None else None
    c = http.client.HTTPConnection("127.0.0.1", web.port, timeout=15)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, r.getheaders(), r.read().decode(errors="replace")
    finally:
        c.close()


def csrf_in(page):
    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    assert m, page[:500]
    return m.group(1)


def login(web, user, password):
    status, hdrs, page = request(web, "GET", "/login")
    assert status == 200
    pre = cookies_of(hdrs)["upsweb_login"][0]
    assert csrf_in(page) == pre
    status, hdrs, _ = request(web, "POST", "/login",
                              {"csrf": pre, "username": user, "password": password,
                               "next": "/ups/acme"}, cookies={"upsweb_login": pre})
    assert status == 303, status
    assert dict((k.lower(), v) for k, v in hdrs)["location"] == "/ups/acme"
    c = cookies_of(hdrs)["upsweb_session"]
    assert "HttpOnly" in c[1] and "SameSite=Strict" in c[1]
    return {"upsweb_session": c[0]}


def start(procs, workdir, conf):
    seq = os.path.join(str(workdir), "acme.seq")
    write_seq(seq, [(ONLINE, 0)])
    nut = NutPeer(procs, workdir, {"acme": (seq, "Acme")}).start()
    web = Upsweb(procs, workdir, [(nut.addr("acme"), "Rack A")], conf_lines=conf).start()
    web.wait_json("/api/v1/ups", lambda d: d["ups"][0]["reachable"])
    return nut, web


def test_login_csrf_set_and_command(procs, workdir):
    nut, web = start(procs, workdir, ["ALLOW_COMMANDS yes", "ALLOW_WRITES yes",
                                      "LOGIN_RATE 50 60"])
    # Without a session: a sign-in link, no forms, actions refused.
    status, _, page = request(web, "GET", "/ups/acme")
    assert "Sign in" in page and 'action="/ups/' not in page
    status, _, _ = request(web, "POST", "/ups/acme/set", {"var": "ups.mfr", "value": "x"})
    assert status == 403
    # The login form's token must come back in both the cookie and the form.
    status, hdrs, page = request(web, "GET", "/login")
    pre = cookies_of(hdrs)["upsweb_login"][0]
    status, _, _ = request(web, "POST", "/login", {"csrf": pre, "username": "admin",
                                                  "password": "secret"})
    assert status == 403  # no cookie: cross-site form
    status, _, _ = request(web, "POST", "/login", {"csrf": "0" * 64, "username": "admin",
                                                  "password": "secret"},
                           cookies={"upsweb_login": "0" * 64 + "1"})
    assert status == 403
    status, _, _ = request(web, "POST", "/login", {"csrf": pre, "username": "admin",
                                                  "password": "has space"},
                           cookies={"upsweb_login": pre})
    assert status == 400

    session = login(web, "admin", "secret")
    status, _, page = request(web, "GET", "/ups/acme", cookies=session)
    assert "signed in as admin" in page
    token = csrf_in(page)
    assert token != session["upsweb_session"]
    assert 'action="/ups/' in page and "/set" in page and "/command" in page

    # CSRF: the session's token is required, a cross-site Origin refused.
    status, _, _ = request(web, "POST", "/ups/acme/set",
                           {"var": "ups.mfr", "value": "Evil"}, cookies=session)
    assert status == 403
    status, _, _ = request(web, "POST", "/ups/acme/set",
                           {"csrf": token, "var": "ups.mfr", "value": "Evil"}, cookies=session,
                           extra={"Origin": "http://evil.example"})
    assert status == 403
    status, _, page = request(web, "POST", "/ups/acme/set",
                              {"csrf": token, "var": "ups.mfr", "value": "NewCo"},
                              cookies=session,
                              extra={"Origin": "http://127.0.0.1:%d" % web.port})
    assert status == 200, page
    assert "upsd accepted it" in page
    wait_for(lambda: web.json("/api/v1/ups/acme")["summary"].get("ups.mfr") == "NewCo", 15,
             interval=0.3, what="SET VAR visible")
    # Invalid names never reach upsd.
    status, _, _ = request(web, "POST", "/ups/acme/set",
                           {"csrf": token, "var": "ups.mfr\nINSTCMD", "value": "x"},
                           cookies=session)
    assert status == 400
    # INSTCMD: dummy-ups lists load.off but does not implement it.
    status, _, page = request(web, "POST", "/ups/acme/command",
                              {"csrf": token, "cmd": "load.off"}, cookies=session)
    assert status == 200 and "upsd accepted it" in page, page
    status, _, page = request(web, "POST", "/ups/acme/command",
                              {"csrf": token, "cmd": "no.such.cmd"}, cookies=session)
    assert status == 409 and "refused" in page

    # A user without the SET right is refused by upsd, not by upsweb.
    weak = login(web, "monprimary", "pmpass")
    status, _, page = request(web, "GET", "/ups/acme", cookies=weak)
    wtoken = csrf_in(page)
    status, _, page = request(web, "POST", "/ups/acme/set",
                              {"csrf": wtoken, "var": "ups.mfr", "value": "Nope"}, cookies=weak)
    assert status == 403 and "refused" in page
    # A wrong password too.
    bad = login(web, "admin", "wrong")
    status, _, page = request(web, "GET", "/ups/acme", cookies=bad)
    status, _, page = request(web, "POST", "/ups/acme/set",
                              {"csrf": csrf_in(page), "var": "ups.mfr", "value": "Nope"},
                              cookies=bad)
    assert status == 403

    # Logout ends the session.
    status, _, _ = request(web, "POST", "/logout", {"csrf": token}, cookies=session)
    assert status == 303
    status, _, _ = request(web, "POST", "/ups/acme/set",
                           {"csrf": token, "var": "ups.mfr", "value": "After"}, cookies=session)
    assert status == 403
    assert web.json("/api/v1/ups/acme")["summary"]["ups.mfr"] == "NewCo"


def test_login_rate_limit_and_commands_only(procs, workdir):
    nut, web = start(procs, workdir, ["ALLOW_COMMANDS yes", "LOGIN_RATE 3 60"])
    # Writes are disabled: their route does not exist.
    status, _, _ = request(web, "POST", "/ups/acme/set", {"var": "ups.mfr", "value": "x"})
    assert status == 404
    codes = []
    for _ in range(5):
        status, hdrs, page = request(web, "GET", "/login")
        pre = cookies_of(hdrs)["upsweb_login"][0]
        status, hdrs, _ = request(web, "POST", "/login",
                                  {"csrf": pre, "username": "admin", "password": "secret"},
                                  cookies={"upsweb_login": pre})
        codes.append(status)
    assert codes[:3] == [303, 303, 303] and codes[3:] == [429, 429], codes
    assert any(k.lower() == "retry-after" for k, _ in hdrs)


def test_open_redirect_refused(procs, workdir):
    nut, web = start(procs, workdir, ["ALLOW_COMMANDS yes"])
    for nxt in ("//evil.example/", "https://evil.example/", "/\\evil", "javascript:alert(1)"):
        status, hdrs, page = request(web, "GET", "/login")
        pre = cookies_of(hdrs)["upsweb_login"][0]
        status, hdrs, _ = request(web, "POST", "/login",
                                  {"csrf": pre, "username": "admin", "password": "secret",
                                   "next": nxt}, cookies={"upsweb_login": pre})
        assert status == 303
        assert dict((k.lower(), v) for k, v in hdrs)["location"] == "/", nxt


def test_encoded_paths_reach_the_same_routes(procs, workdir):
    """Percent-encoded spellings of the action routes are decoded once and
    handled like the plain ones (no crash, same checks)."""
    nut, web = start(procs, workdir, ["ALLOW_COMMANDS yes", "ALLOW_WRITES yes"])
    for path in ("/%6cogin", "/logou%74", "/ups/acme/comman%64", "/ups/%61cme/set",
                 "/ups/acme%2Fx/set", "/ups//set", "/ups/nosuch/set"):
        status, _, _ = request(web, "POST", path, {"csrf": "x", "var": "a", "value": "b"})
        assert status in (303, 403, 404), (path, status)
    status, _, page = request(web, "GET", "/%6cogin")
    assert status == 200 and 'name="csrf"' in page
    assert web.proc.alive()
