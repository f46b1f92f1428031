"""upsaudit finds each problem of a broken installation built in a temporary
root, prints the command that fixes it, and exits by the worst severity."""
import json
import os
import subprocess

import pytest

from conftest import our_bin

GOOD_USERS = "[admin]\n  password = \"$y$j9T$abcdefghijklmnopqrstu.$0123456789012345678901234567890123456789012\"\n  actions = SET\n  instcmds = beeper.toggle\n"


def make_root(tmp_path, users=GOOD_USERS, upsd_conf="LISTEN 127.0.0.1 3493\n"):
    root = tmp_path / "root"
    conf = root / "etc" / "upsguard"
    state = root / "run" / "upsguard"
    conf.mkdir(parents=True)
    state.mkdir(parents=True)
    os.chmod(root, 0o755)
    os.chmod(state, 0o770)
    files = {"ups.conf": ("[u]\n  driver = dummy-ups\n  port = u.dev\n", 0o640),
             "upsd.conf": (upsd_conf, 0o640),
             "upsd.users": (users, 0o640),
             "upsmon.conf": ("MONITOR u@localhost 1 admin pw primary\n", 0o600)}
    for name, (text, mode) in files.items():
        (conf / name).write_text(text)
        os.chmod(conf / name, mode)
    (root / "proc").mkdir()
    (root / "units").mkdir()
    return root


def audit(root, *extra):
    argv = [our_bin("upsaudit"), "--root", str(root), "--confdir", "/etc/upsguard",
            "--statepath", "/run/upsguard", "--proc", str(root / "proc"),
            "--unitdir", "/units", "--json"] + list(extra)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    doc = json.loads(r.stdout)
    return r.returncode, doc


def findings(doc, check=None, severity=None):
    return [f for f in doc["findings"]
            if (check is None or f["check"] == check)
            and (severity is None or f["severity"] == severity)]


def test_clean_install_is_clean(tmp_path):
    root = make_root(tmp_path)
    rc, doc = audit(root)
    assert rc == 0, doc
    assert [f for f in doc["findings"] if f["severity"] != "info"] == []


def test_world_readable_secrets(tmp_path):
    root = make_root(tmp_path)
    os.chmod(root / "etc/upsguard/upsd.users", 0o644)
    rc, doc = audit(root)
    assert rc == 2
    f = findings(doc, "secrets", "error")
    assert f and f[0]["subject"] == "/etc/upsguard/upsd.users"
    assert "chmod 0640 /etc/upsguard/upsd.users" in f[0]["fix"]


def test_group_writable_config(tmp_path):
    root = make_root(tmp_path)
    os.chmod(root / "etc/upsguard/ups.conf", 0o660)
    rc, doc = audit(root)
    assert rc == 2
    assert any("chmod go-w /etc/upsguard/ups.conf" == f["fix"]
               for f in findings(doc, "permissions"))


def test_config_owned_by_other_user(tmp_path, run_user):
    root = make_root(tmp_path)
    os.chown(root / "etc/upsguard/upsd.conf", run_user[1], run_user[2])
    rc, doc = audit(root)
    assert rc == 2
    f = findings(doc, "ownership")
    assert f and "chown root:upsguard /etc/upsguard/upsd.conf" == f[0]["fix"]


def test_symlinked_secret(tmp_path):
    root = make_root(tmp_path)
    target = root / "elsewhere.users"
    os.rename(root / "etc/upsguard/upsd.users", target)
    os.symlink(target, root / "etc/upsguard/upsd.users")
    rc, doc = audit(root)
    assert rc >= 1
    assert findings(doc, "config", "warning")


def test_world_writable_statepath(tmp_path):
    root = make_root(tmp_path)
    os.chmod(root / "run/upsguard", 0o777)
    rc, doc = audit(root)
    assert rc == 2
    assert "chmod 0770 /run/upsguard" in findings(doc, "statepath", "error")[0]["fix"]


def test_plaintext_password_and_all_instcmds(tmp_path):
    root = make_root(tmp_path, users="[admin]\n  password = secret\n  instcmds = ALL\n")
    rc, doc = audit(root)
    assert rc == 1, doc
    msgs = " ".join(f["message"] for f in findings(doc, "users"))
    assert "plaintext" in msgs and "ALL" in msgs
    assert any("upspasswd" in f["fix"] for f in findings(doc, "users"))


def test_remote_listen_without_tls(tmp_path):
    root = make_root(tmp_path, upsd_conf="LISTEN 0.0.0.0 3493\n")
    rc, doc = audit(root)
    assert rc == 2
    assert findings(doc, "listen", "error")


def test_certificate_key_mode(tmp_path):
    root = make_root(tmp_path, upsd_conf="LISTEN 0.0.0.0 3493\nCERTFILE /etc/upsguard/upsd.pem\n")
    (root / "etc/upsguard/upsd.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    os.chmod(root / "etc/upsguard/upsd.pem", 0o644)
    rc, doc = audit(root)
    assert rc == 2
    f = findings(doc, "certificate", "error")
    assert f and "chmod 0640 /etc/upsguard/upsd.pem" in f[0]["fix"]
    assert not findings(doc, "listen", "error")


def fake_proc(root, pid, comm, uid, capeff="0000000000000000", nnp=1, seccomp=2):
    d = root / "proc" / str(pid)
    d.mkdir()
    (d / "comm").write_text(comm + "\n")
    (d / "status").write_text(
        "Name:\t%s\nUid:\t%d\t%d\t%d\t%d\nCapEff:\t%s\nNoNewPrivs:\t%d\nSeccomp:\t%d\n"
        % (comm, uid, uid, uid, uid, capeff, nnp, seccomp))


def test_processes(tmp_path):
    root = make_root(tmp_path)
    fake_proc(root, 100, "upsd", 0, "000001ffffffffff", 0, 0)
    fake_proc(root, 101, "dummy-ups", 999, nnp=0, seccomp=0)
    fake_proc(root, 102, "upsmon", 0, "0000000000400000", 0, 0)   # [priv]: allowed
    fake_proc(root, 103, "upsmon", 999)
    fake_proc(root, 104, "bash", 0)
    rc, doc = audit(root)
    assert rc == 2
    subjects = {f["subject"]: f for f in doc["findings"] if f["check"] in ("process", "sandbox")}
    assert subjects["upsd[100]"]["severity"] == "error"
    assert subjects["dummy-ups[101]"]["severity"] == "warning"
    assert "upsmon[102]" not in subjects and "upsmon[103]" not in subjects
    assert not any("bash" in s for s in subjects)


def test_unit_scores(tmp_path):
    root = make_root(tmp_path)
    (root / "units" / "nut-server.service").write_text(
        "[Service]\nExecStart=/sbin/upsd -F\n")
    rc, doc = audit(root)
    assert rc == 2, doc
    f = findings(doc, "unit")
    assert f and f[0]["subject"] == "/units/nut-server.service"


def test_text_output_has_fixes(tmp_path):
    root = make_root(tmp_path)
    os.chmod(root / "etc/upsguard/upsmon.conf", 0o644)
    r = subprocess.run([our_bin("upsaudit"), "--root", str(root), "--confdir", "/etc/upsguard",
                        "--statepath", "/run/upsguard", "--proc", "none", "--unitdir", "none"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "error   secrets     /etc/upsguard/upsmon.conf" in r.stdout
    assert "fix: chmod 0640 /etc/upsguard/upsmon.conf" in r.stdout
