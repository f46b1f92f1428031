"""meson install: programs, units, samples, man pages in the usual places,
with DESTDIR; a second install never overwrites the live configuration."""
import os
import subprocess

from conftest import BUILD


def install(destdir):
    r = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet",
                        "--destdir", str(destdir)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]


def prefix():
    r = subprocess.run(["meson", "introspect", BUILD, "--buildoptions"], capture_output=True,
                       text=True, check=True)
    import json
    opts = {o["name"]: o["value"] for o in json.loads(r.stdout)}
    return opts["prefix"], opts["confdir"]


def test_layout_and_no_overwrite(tmp_path):
    dest = tmp_path / "dest"
    install(dest)
    pre, confdir = prefix()
    root = str(dest) + pre
    for rel in ("sbin/upsd", "sbin/upsaudit", "sbin/upspasswd", "sbin/upswrap",
                "sbin/upswrap-nss", "bin/upsc", "bin/upscmd",
                "bin/upsrw", "bin/upslog",
                "lib/systemd/system/upsguard-server.service",
                "lib/systemd/system/upsguard-driver@.service",
                "lib/systemd/system/upsguard.target",
                "lib/sysusers.d/upsguard.conf", "lib/tmpfiles.d/upsguard.conf",
                "lib/udev/rules.d/60-upsguard.rules",
                "share/doc/upsguard/examples/upsd.conf.sample"):
        assert os.path.exists(os.path.join(root, rel)), rel
    for page in ("man8/upsd.8", "man8/upsmon.8", "man8/upssched.8", "man8/upsdrvctl.8",
                 "man8/dummy-ups.8", "man8/upsc.8", "man8/upscmd.8", "man8/upsrw.8",
                 "man8/upslog.8", "man8/upswrap.8", "man8/upsweb.8", "man8/upspasswd.8",
                 "man8/upsaudit.8", "man5/ups.conf.5", "man5/upsd.conf.5", "man5/upsd.users.5",
                 "man5/upsmon.conf.5", "man5/upssched.conf.5", "man5/hosts.conf.5"):
        assert os.path.exists(os.path.join(root, "share/man", page)), page
    # A program's page carries its own options.
    with open(os.path.join(root, "share/man/man8/upsd.8")) as f:
        assert "reload|stop" in f.read()
    conf = str(dest) + confdir
    assert os.path.exists(os.path.join(conf, "upsd.conf.sample"))
    live = os.path.join(conf, "upsd.conf")
    assert os.path.exists(live)
    assert oct(os.stat(os.path.join(conf, "upsd.users")).st_mode & 0o777) == "0o640"
    with open(live, "w") as f:
        f.write("# the administrator's own\nLISTEN 127.0.0.1 3493\n")
    install(dest)
    with open(live) as f:
        assert f.read().startswith("# the administrator's own")
