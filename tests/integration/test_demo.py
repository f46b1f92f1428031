"""`make demo`'s scenario runs end to end on loopback and leaves nothing
running: a simulated UPS goes OL -> OB -> OB LB, upsc prints it, upsweb
serves it, and upsmon's dry-run shutdown runs through upswrap."""
import os
import re
import subprocess

import pytest

from conftest import BUILD, REPO

pytestmark = pytest.mark.nosan   # timing-bound scenario


def processes_mentioning(text):
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if text.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


def test_demo_runs_and_cleans_up():
    env = dict(os.environ, DEMO_SECONDS="30")
    r = subprocess.run([os.path.join(REPO, "scripts", "demo-run.sh"), BUILD],
                       capture_output=True, text=True, timeout=120, env=env)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "device.model: Simulated UPS" in out
    assert re.search(r"ups\.status: OL CHRG", out)
    assert re.search(r"ups\.status: (FSD )?OB DISCHRG LB", out), out
    assert "dashboard at http://127.0.0.1:" in out
    assert "$y$" in out, "upsd.users should hold a yescrypt hash"
    assert "upsmon's privileged part ran SHUTDOWNCMD through upswrap" in out, out
    assert "upsmon-shutdown-file" in out
    assert "stopped everything it started" in out
    workdir = re.search(r"working directory (\S+)", out).group(1)
    assert not os.path.exists(workdir)
    assert processes_mentioning(workdir) == []
