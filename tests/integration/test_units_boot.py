"""Run the shipped units for real (issue 10): boot a Debian root filesystem
under systemd-nspawn with systemd as PID 1, install upsguard into it with
`meson install --destdir`, enable upsguard.target with a dummy UPS, boot, and check
that booting started every unit (no ordering cycle), then from /proc inside
the container that each service runs as its own user with
the expected limits, and that upsc works.

The ASan build cannot run there (no sanitizer runtime in the container), so
the test is marked nosan; it fails, never skips, when nspawn cannot run.
"""
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import BUILD, DDL_DIR
from units_boot_helpers import Machine, ensure_rootfs, why_not_runnable

pytestmark = [pytest.mark.nosan, pytest.mark.root]

DEV = os.path.join(DDL_DIR, "Eaton__5PX_2000__usbhid-ups__2.7.4__01.dev")


def ids(root, name, db):
    with open(os.path.join(root, "etc", db)) as f:
        for line in f:
            parts = line.split(":")
            if parts[0] == name:
                return int(parts[2])
    raise KeyError(name)


def write(root, rel, text, mode=0o644, uid=0, gid=0):
    path = os.path.join(root, rel.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chown(path, uid, gid)
    os.chmod(path, mode)
    return path


def install(root):
    r = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet",
                        "--destdir", root], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    r = subprocess.run(["systemd-sysusers", "--root", root], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def configure(root, prefix):
    grp = ids(root, "upsguard", "group")
    os.makedirs(os.path.join(root, "etc/upsguard"), exist_ok=True)
    shutil.copy(DEV, os.path.join(root, "etc/upsguard/dummy.dev"))
    os.chmod(os.path.join(root, "etc/upsguard/dummy.dev"), 0o644)
    write(root, "/etc/upsguard/ups.conf",
          '[dummy]\n  driver = dummy-ups\n  port = dummy.dev\n  desc = "Booted test UPS"\n',
          0o640, 0, grp)
    write(root, "/etc/upsguard/upsd.conf", "LISTEN 127.0.0.1 3493\n", 0o640, 0, grp)
    write(root, "/etc/upsguard/upsd.users",
          "[monuser]\n  password = secret\n  upsmon primary\n", 0o640, 0, grp)
    marker = "/var/lib/upsguard/shutdown-marker"
    write(root, "/usr/local/libexec/upsguard-test-shutdown",
          "#!/bin/sh\ntouch %s\n" % marker, 0o755)
    write(root, "/etc/upsguard/rootwrap.conf",
          "[DEFAULT]\nfilters_path=/etc/upsguard/rootwrap.d\n"
          "exec_dirs=/usr/local/libexec\nuse_syslog=False\n", 0o644)
    write(root, "/etc/upsguard/rootwrap.d/test.filters",
          "[Filters]\ntestshutdown: RegExpFilter, /usr/local/libexec/upsguard-test-shutdown, root, "
          "/usr/local/libexec/upsguard-test-shutdown\n", 0o644)
    write(root, "/etc/upsguard/upsmon.conf",
          "MONITOR dummy@127.0.0.1 1 monuser secret primary\n"
          "SHUTDOWNCMD \"/usr/local/libexec/upsguard-test-shutdown\"\n"
          "RUN_AS_USER upsguard-mon\nPOLLFREQ 2\n", 0o600)
    write(root, "/etc/upsguard/hosts.conf", 'MONITOR dummy@127.0.0.1 "Booted test UPS"\n')
    write(root, "/etc/upsguard/upsweb.conf", "LISTEN 127.0.0.1 8008\n")
    r = subprocess.run(["systemctl", "--root", root, "enable", "upsguard.target",
                        "upsguard-driver@dummy.service", "upsguard-web.service"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def status_of(m, pid):
    r = m.run("cat", "/proc/%d/status" % pid)
    fields = {}
    for line in r.stdout.splitlines():
        k, _, v = line.partition(":")
        fields[k] = v.strip()
    return fields


def processes(m):
    """{comm: [pid, ...]} of every process inside the container."""
    r = m.run("ps", "-e", "-o", "pid=,comm=")
    procs = {}
    for line in r.stdout.splitlines():
        pid, _, comm = line.strip().partition(" ")
        procs.setdefault(comm.strip(), []).append(int(pid))
    return procs


def test_units_run_under_systemd(tmp_path):
    reason = why_not_runnable()
    assert reason is None, "cannot boot a container here: " + reason
    cache = ensure_rootfs()
    root = str(tmp_path / "root")
    subprocess.run(["cp", "-a", cache, root], check=True)
    install(root)
    configure(root, "/usr/local")
    m = Machine(root, str(tmp_path / "nspawn.log"))
    try:
        m.find_init()
        m.wait_booted()
        services = ["upsguard-driver@dummy.service", "upsguard-server.service",
                    "upsguard-monitor.service", "upsguard-web.service"]
        # Nothing is started by hand: the units were enabled, and booting
        # must bring them up (an ordering cycle once made PID 1 drop one of
        # them at random).
        units = ["upsguard.target", "upsguard-driver.target"] + services + [
            "upsguard-server-socket.socket", "upsguard-server-socket.service"]
        verify = m.run("sh", "-c", "systemd-analyze verify %s 2>&1" % " ".join(units)).stdout
        assert "cycle" not in verify, verify
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            states = {s: m.run("systemctl", "is-active", s).stdout.strip() for s in services}
            if all(v == "active" for v in states.values()):
                break
            time.sleep(0.5)
        journal = "".join(m.run("journalctl", "-b", "--no-pager", "-n", "60", "-u", s).stdout
                          for s in services)
        journal += m.run("systemctl", "list-jobs", "--no-pager").stdout
        full = m.run("journalctl", "-b", "--no-pager", "_PID=1").stdout
        with open(str(tmp_path / "journal-pid1.txt"), "w") as f:
            f.write(full)
        assert "ordering cycle" not in full, full
        journal += m.run("systemctl", "status", "--no-pager", *services).stdout
        assert all(v == "active" for v in states.values()), "%r\n%s" % (states, journal)

        # upsc inside the container, through the server, from the driver.
        deadline = time.monotonic() + 20
        out = ""
        while time.monotonic() < deadline:
            out = m.run("/usr/local/bin/upsc", "dummy@127.0.0.1", "device.model").stdout
            if "Eaton 5PX 2000" in out:
                break
            time.sleep(0.5)
        assert out.strip() == "Eaton 5PX 2000", journal

        expect_user = {"upsd": "upsguard-srv", "dummy-ups": "upsguard-drv"}
        procs = processes(m)
        for comm, user in expect_user.items():
            assert comm in procs, "%s not running: %r" % (comm, procs)
            uid = ids(root, user, "passwd")
            for pid in procs[comm]:
                st = status_of(m, pid)
                assert st["Uid"].split() == [str(uid)] * 4, (comm, st["Uid"])
                assert st["CapEff"] == "0000000000000000", (comm, st["CapEff"])
                assert st["CapBnd"] == "0000000000000000", (comm, st["CapBnd"])
                assert st["NoNewPrivs"] == "1", comm
                assert st["Seccomp"] == "2", comm
        # upsweb runs as a dynamic user (uid in systemd's dynamic range).
        assert "upsweb" in procs, procs
        st = status_of(m, procs["upsweb"][0])
        assert 61184 <= int(st["Uid"].split()[0]) <= 65519, st["Uid"]
        assert st["CapEff"] == "0000000000000000" and st["NoNewPrivs"] == "1"
        # upsmon: one privileged part (only the capabilities of its unit),
        # two unprivileged parts running as RUN_AS_USER.
        # upsmon names its parts "upsmon [priv]", "upsmon [net]", "upsmon [notify]".
        mon = [p for comm, pids in procs.items() if comm.startswith("upsmon") for p in pids]
        assert len(mon) == 3, procs
        monuid = ids(root, "upsguard-mon", "passwd")
        uids = sorted(int(status_of(m, p)["Uid"].split()[0]) for p in mon)
        assert uids == [0, monuid, monuid], uids
        for p in mon:
            st = status_of(m, p)
            if st["Uid"].split()[0] == "0":
                # CAP_SETGID 6, CAP_SETUID 7, CAP_SETPCAP 8, CAP_SYS_CHROOT 18, CAP_SYS_BOOT 22
                assert int(st["CapBnd"], 16) & ~((1 << 6) | (1 << 7) | (1 << 8) | (1 << 18) |
                                                  (1 << 22)) == 0, st["CapBnd"]
            else:
                assert st["CapEff"] == "0000000000000000" and st["Seccomp"] == "2"
    finally:
        m.stop()
