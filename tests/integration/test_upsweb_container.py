"""The upsweb container image: built FROM scratch with podman (runc,
cgroupfs: what works on these machines), run read-only, without
capabilities and with no-new-privileges, against a upsd on the host
(host networking), then /healthz and /metrics are fetched."""
import json
import os
import shutil
import subprocess
import uuid

import pytest

from conftest import REPO, BUILD, wait_for, wait_for_port, free_port
from nut_peer import NutPeer
from upsweb_helpers import ONLINE, Upsweb, metric, parse_metrics, write_seq

PODMAN = shutil.which("podman")
BASE = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]


def podman(*args, check=True, timeout=180):
    r = subprocess.run(BASE + list(args), capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("podman %s failed: %s%s" % (" ".join(args), r.stdout, r.stderr))
    return r


@pytest.fixture
def image(workdir):
    # Installed by scripts/deps-test.txt: missing is a broken set-up, not a skip.
    assert PODMAN, "podman is not installed (apt-get install podman runc)"
    ctx = os.path.join(str(workdir), "ctx")
    subprocess.run([os.path.join(REPO, "packaging", "container", "mkroot.sh"), BUILD, ctx],
                   check=True, timeout=60)
    tag = "localhost/upsweb-test:%s" % uuid.uuid4().hex[:12]
    podman("build", "-t", tag, "-f", os.path.join(ctx, "Containerfile"), ctx)
    size = int(podman("image", "inspect", "--format", "{{.Size}}", tag).stdout.strip())
    # Minimal: the binary and its libraries (docs/upsweb.md records 8.4 MB;
    # a sanitizer build also carries libasan and libubsan).
    ldd = subprocess.run(["ldd", os.path.join(BUILD, "src", "upsweb", "upsweb")],
                         capture_output=True, text=True).stdout
    limit = 60 if "libasan" in ldd else 20
    assert size < limit * 1000 * 1000, size
    yield tag
    podman("rmi", "-f", tag, check=False)


def test_image_runs_read_only_without_capabilities(procs, workdir, image):
    seq = os.path.join(str(workdir), "acme.seq")
    write_seq(seq, [(ONLINE, 0)])
    nut = NutPeer(procs, workdir, {"acme": (seq, "Acme")}).start()
    port = free_port()
    cfg = os.path.join(str(workdir), "cfg")
    os.makedirs(cfg)
    with open(os.path.join(cfg, "hosts.conf"), "w") as f:
        f.write('MONITOR %s "Rack A"\n' % nut.addr("acme"))
    with open(os.path.join(cfg, "upsweb.conf"), "w") as f:
        f.write("LISTEN 127.0.0.1 %d\nPOLLFREQ 1\n" % port)
    os.chmod(cfg, 0o755)
    for n in os.listdir(cfg):
        os.chmod(os.path.join(cfg, n), 0o644)
    name = "upsweb-test-%s" % uuid.uuid4().hex[:12]
    try:
        podman("run", "-d", "--name", name, "--network", "host", "--read-only",
               "--cap-drop=ALL", "--security-opt=no-new-privileges",
               "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
               "-v", "%s:/etc/upsguard:ro" % cfg, image)
        try:
            wait_for_port(port, timeout=20)
        except TimeoutError:
            logs = podman("logs", name, check=False)
            raise AssertionError("container did not listen: " + logs.stdout + logs.stderr)
        web = Upsweb.__new__(Upsweb)
        web.port = port
        status, headers, body = web.get("/healthz")
        assert status == 200 and body.startswith(b"ok")
        assert headers["x-content-type-options"] == "nosniff"
        wait_for(lambda: web.get("/healthz")[2].startswith(b"ok 1/1"), 20, interval=0.3,
                 what="upsd polled from the container")
        status, headers, body = web.get("/metrics")
        assert status == 200
        m = parse_metrics(body.decode())
        assert metric(m, "network_ups_tools_battery_charge", ups="acme") == 97
        assert metric(m, "network_ups_tools_ups_status", ups="acme", flag="OL") == 1

        info = json.loads(podman("inspect", name).stdout)[0]
        hc = info["HostConfig"]
        assert hc["ReadonlyRootfs"] is True
        assert any(c.upper() in ("ALL", "CAP_ALL") for c in hc["CapDrop"]) or \
            len(hc["CapDrop"]) >= 10, hc["CapDrop"]
        assert "no-new-privileges" in " ".join(hc.get("SecurityOpt") or [])
        pid = info["State"]["Pid"]
        status_lines = open("/proc/%d/status" % pid).read().splitlines()
        fields = dict(l.split(":", 1) for l in status_lines if ":" in l)
        assert fields["Uid"].split()[0] == "1000", fields["Uid"]
        assert int(fields["CapEff"].strip(), 16) == 0
        assert int(fields["CapBnd"].strip(), 16) == 0
        assert fields["NoNewPrivs"].strip() == "1"
        assert fields["Seccomp"].strip() == "2"
        logs = podman("logs", name).stderr + podman("logs", name).stdout
        assert "sandbox:" in logs, logs
    finally:
        podman("rm", "-f", "-t", "2", name, check=False)
