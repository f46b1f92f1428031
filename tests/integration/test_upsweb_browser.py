"""A real browser (Debian's headless Chromium driven by python3-selenium
and chromium-driver) on upsweb's pages: values shown, the status changing
live (no reload) when the .seq file goes to OB, charts drawn, no console
errors (a CSP violation would be one), screenshots saved in the test's
directory."""
import os
import shutil
import tempfile
import time

import pytest

from conftest import wait_for
from nut_peer import NutPeer
from upsweb_helpers import ON_BATTERY, ONLINE, Upsweb, write_seq

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def browser(workdir, width=1280, height=1000):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("python3-selenium is missing (Debian package python3-selenium)")
    for p in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(p):
            pytest.fail("%s is missing (Debian packages chromium, chromium-driver)" % p)
    profile = tempfile.mkdtemp(prefix="chromium-", dir=str(workdir))
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run", "--disable-extensions",
              "--window-size=%d,%d" % (width, height), "--user-data-dir=" + profile):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(CHROMEDRIVER, log_path=os.path.join(str(workdir), "chromedriver.log"))
    d = webdriver.Chrome(service=service, options=opts)
    d.set_page_load_timeout(20)
    return d, profile


def console_errors(driver):
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def text_of(driver, css):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.CSS_SELECTOR, css).text


@pytest.fixture
def setup(procs, workdir):
    # The browser starts first: the .seq file's clock (20 s on line, then on
    # battery) starts with the driver, and Chromium's start-up, slow under
    # load, must not eat into it.
    d, profile = browser(workdir)
    try:
        seq = os.path.join(str(workdir), "acme.seq")
        write_seq(seq, [(ONLINE, 20), (ON_BATTERY, 0)])
        nut = NutPeer(procs, workdir, {"acme": (seq, "Acme")}).start()
        web = Upsweb(procs, workdir, [(nut.addr("acme"), "Rack A")]).start()
        web.wait_json("/api/v1/ups", lambda d: d["ups"][0]["reachable"])
        yield nut, web, d
    finally:
        d.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_browser_sees_values_and_live_status_change(setup, workdir):
    from selenium.webdriver.common.by import By
    nut, web, d = setup
    base = "http://127.0.0.1:%d" % web.port
    d.get(base + "/")
    card = 'article[data-ups="%s"]' % nut.addr("acme")
    assert "UPS overview" in d.title
    assert text_of(d, card + ' [data-field="status_text"]') == "On line, Charging"
    assert text_of(d, card + ' [data-field="battery.charge"]') == "97 %"
    assert text_of(d, card + ' [data-field="battery.runtime"]') == "45 min 30 s"
    assert text_of(d, card + ' [data-field="ups.load"]') == "23 %"
    assert text_of(d, card + ' [data-field="input.voltage"]') == "231.5 V"
    assert "sev-ok" in d.find_element(By.CSS_SELECTOR, card).get_attribute("class")
    d.save_screenshot(os.path.join(str(workdir), "overview-online.png"))
    # Mark this page: a reload would drop the mark, live updates keep it.
    d.execute_script("window.__upsweb_mark = 42;")
    wait_for(lambda: text_of(d, card + ' [data-field="status_text"]') == "On battery, Discharging",
             50, interval=0.3, what="live OB in the browser")
    assert d.execute_script("return window.__upsweb_mark;") == 42
    assert text_of(d, card + ' [data-field="battery.charge"]') == "81 %"
    assert "sev-warn" in d.find_element(By.CSS_SELECTOR, card).get_attribute("class")
    meter = d.find_element(By.CSS_SELECTOR, card + ' meter')
    assert float(meter.get_attribute("value")) == 81
    d.save_screenshot(os.path.join(str(workdir), "overview-onbattery.png"))
    assert console_errors(d) == []

    # The UPS page: variables with descriptions and types, and charts.
    d.find_element(By.CSS_SELECTOR, card + " h2 a").click()
    wait_for(lambda: "acme" in d.title, 10, what="UPS page")
    row = d.find_element(By.CSS_SELECTOR, 'tr[data-var="battery.charge"]')
    assert "Battery charge (percent of full)" in row.text and "NUMBER" in row.text
    wait_for(lambda: d.find_elements(By.CSS_SELECTOR, "#chart-0 polyline"), 15,
             what="charge chart drawn")
    for k in range(4):
        assert d.find_elements(By.CSS_SELECTOR, "#chart-%d polyline" % k), k
    pts = d.find_element(By.CSS_SELECTOR, "#chart-0 polyline").get_attribute("points")
    assert len(pts.split()) >= 2
    d.save_screenshot(os.path.join(str(workdir), "ups-page.png"))
    assert console_errors(d) == []


def test_browser_phone_width(setup, workdir):
    """Readable on a phone: no horizontal scrolling at 390 px."""
    nut, web, d = setup
    d.set_window_size(390, 844)
    d.get("http://127.0.0.1:%d/ups/acme" % web.port)
    wait_for(lambda: d.execute_script(
        "return document.querySelectorAll('#chart-0 polyline').length") > 0, 15,
        what="chart on phone")
    scroll = d.execute_script("return document.documentElement.scrollWidth")
    inner = d.execute_script("return window.innerWidth")
    assert scroll <= inner + 1, (scroll, inner)
    d.save_screenshot(os.path.join(str(workdir), "ups-page-phone.png"))
    assert console_errors(d) == []
