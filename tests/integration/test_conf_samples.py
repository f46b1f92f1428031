"""Config files end to end: the shipped samples pass the daemons' -t, a
broken file gives exact file:line messages and exit status 1, secret files
with loose modes are refused, and Debian NUT's own config files parse."""
import os
import shutil
import subprocess

import pytest

from conftest import BUILD, REPO, our_bin

SAMPLES = os.path.join(REPO, "conf")
CONF_PRINT = os.path.join(BUILD, "tests", "config", "conf-print")
SECRET = {"upsd.users", "upsmon.conf"}
TYPES = ["ups.conf", "upsd.conf", "upsd.users", "upsmon.conf", "upssched.conf", "hosts.conf"]


def install_samples(d):
    for name in TYPES + ["upsweb.conf", "dummy.dev", "rootwrap.conf"]:
        dst = os.path.join(d, name)
        shutil.copy(os.path.join(SAMPLES, name + ".sample"), dst)
        os.chmod(dst, 0o640 if name in SECRET else 0o644)
    # The shipped filters, where the copied rootwrap.conf looks for them.
    shutil.copytree(os.path.join(SAMPLES, "rootwrap.d"), os.path.join(d, "rootwrap.d"))
    with open(os.path.join(d, "rootwrap.conf")) as f:
        text = f.read().replace("/etc/upsguard/rootwrap.d", os.path.join(d, "rootwrap.d"))
    with open(os.path.join(d, "rootwrap.conf"), "w") as f:
        f.write(text)


def run(argv, confdir):
    env = dict(os.environ, NUT_CONFPATH=str(confdir), NUT_STATEPATH=str(confdir))
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("prog", ["upsd", "upsweb", "upsmon", "upsdrvctl", "upssched", "dummy-ups"])
def test_samples_pass_daemon_check(workdir, prog):
    install_samples(workdir)
    argv = [our_bin(prog), "-t"] + (["-a", "myups"] if prog == "dummy-ups" else [])
    r = run(argv, workdir)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("name", TYPES)
def test_samples_print_cleanly(workdir, name):
    install_samples(workdir)
    r = run([CONF_PRINT, name, os.path.join(workdir, name)], workdir)
    assert r.returncode == 0 and r.stderr == "", r.stderr


def test_broken_upsd_conf_exit_1(workdir):
    install_samples(workdir)
    path = os.path.join(workdir, "upsd.conf")
    with open(path, "w") as f:
        f.write("LISTEN 127.0.0.1 3493\nMAXAGE soon\nlisten ::1\nLISTEN 0.0.0.0\n")
    r = run([our_bin("upsd"), "-t"], workdir)
    assert r.returncode == 1
    for want in (f"{path}:2: MAXAGE: 'soon' is not a whole number in 1..86400",
                 f"{path}:3: unknown directive 'listen' (directives are upper-case: LISTEN)",
                 f"{path}:4: LISTEN 0.0.0.0 is not a loopback address"):
        assert want in r.stderr, r.stderr


def test_broken_upsd_users_exit_1(workdir):
    install_samples(workdir)
    path = os.path.join(workdir, "upsd.users")
    with open(path, "w") as f:
        f.write("[mon]\n\tpassword = 123=123\n\tupsmon primary\n[op]\n\tpassword = \"p#ss\"\n")
    r = run([our_bin("upsd"), "-t"], workdir)
    assert r.returncode == 1
    assert f"{path}:2: password: more than one word" in r.stderr, r.stderr
    assert f"{path}:5: Unbalanced word due to unescaped # in quotes" in r.stderr, r.stderr


@pytest.mark.parametrize("mode", [0o644, 0o660, 0o604])
def test_loose_upsd_users_refused(workdir, mode):
    install_samples(workdir)
    path = os.path.join(workdir, "upsd.users")
    os.chmod(path, mode)
    r = run([our_bin("upsd"), "-t"], workdir)
    assert r.returncode == 1
    assert f"chmod 0640 {path}" in r.stderr, r.stderr


def test_conf_print_broken_exit_1(workdir):
    path = os.path.join(workdir, "ups.conf")
    with open(path, "w") as f:
        f.write("[default]\n\tdriver = dummy-ups\n\tport = x\n[u]\n\tport = y\n")
    r = run([CONF_PRINT, "ups.conf", path], workdir)
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        f"{path}:1: [default] is reserved and cannot name a UPS",
        f"{path}:4: UPS 'u' has no 'driver'",
    ]


@pytest.mark.parametrize("name", ["ups.conf", "upsd.conf", "upsd.users", "upssched.conf"])
def test_debian_nut_files_parse(name):
    """The files Debian's NUT 2.8.0 ships in /etc/nut (installed as a test
    peer) are NUT's defaults; they must load here too."""
    path = os.path.join("/etc/nut", name)
    assert os.path.exists(path), f"{path} missing: install nut-server and nut-client"
    r = subprocess.run([CONF_PRINT, name, path], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
