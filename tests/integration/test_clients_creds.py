"""Credentials stay off the command line: a 0600 credentials file (refused
when others can read it), environment variables, a prompt on the terminal
without echo; -p still works but warns.  Checked against NUT's upsd, where
a wrong password shows up as ACCESS-DENIED on the command.
"""
import os
import pty
import select
import time

import pytest

from clients_helpers import USERS, ours
from conftest import our_bin
from nut_peer import NutPeer

@pytest.fixture
def peer(procs, workdir):
    dev = os.path.join(str(workdir), "creds.dev")
    with open(dev, "w") as f:
        f.write("ups.status: OL\nups.delay.start: 30\nups.mfr: Creds\n")
    return NutPeer(procs, workdir, {"ups": dev}, users=USERS).start()


def creds_file(workdir, text, mode=0o600):
    p = os.path.join(str(workdir), "creds-%o" % mode)
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, mode)
    return p


def cmd_ok(rc, err):
    return rc == 0 and err.splitlines()[-1] == "OK"


def test_credentials_file(peer, workdir):
    ups = peer.addr("ups")
    good = creds_file(workdir, "# admin of the test upsd\nusername = admin\npassword = secret\n")
    rc, out, err = ours("upscmd", "--credentials", good, ups, "load.off")
    assert cmd_ok(rc, err), err
    assert "Warning" not in err
    rc, out, err = ours("upsrw", "--credentials", good, "-s", "ups.delay.start=12", ups)
    assert cmd_ok(rc, err), err
    # the same file through the environment
    rc, out, err = ours("upscmd", ups, "load.off", env={"UPSGUARD_CREDENTIALS": good})
    assert cmd_ok(rc, err), err
    # wrong password in the file: the server refuses the command
    bad = creds_file(workdir, "username = admin\npassword = wrong\n", 0o400)
    rc, out, err = ours("upscmd", "--credentials", bad, ups, "load.off")
    assert rc == 1 and "ERR ACCESS-DENIED" in err


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_credentials_file_must_be_private(peer, workdir, mode):
    p = creds_file(workdir, "username = admin\npassword = secret\n", mode)
    rc, out, err = ours("upscmd", "--credentials", p, peer.addr("ups"), "load.off")
    assert rc == 1
    assert "refused" in err and "chmod 600" in err, err


def test_credentials_file_syntax_error(peer, workdir):
    p = creds_file(workdir, "username = admin\npasswd = secret\n")
    rc, out, err = ours("upscmd", "--credentials", p, peer.addr("ups"), "load.off")
    assert rc == 1 and "line 2" in err and "unknown key" in err, err


def test_environment(peer):
    ups = peer.addr("ups")
    for user_var, pass_var in [("UPSGUARD_USERNAME", "UPSGUARD_PASSWORD"),
                               ("NUT_USERNAME", "NUT_PASSWORD")]:
        rc, out, err = ours("upscmd", ups, "load.off", env={user_var: "admin", pass_var: "secret"})
        assert cmd_ok(rc, err), err
    rc, out, err = ours("upscmd", "-u", "admin", ups, "load.off",
                        env={"UPSGUARD_PASSWORD": "secret"})
    assert cmd_ok(rc, err), err


def test_password_on_command_line_warns(peer):
    rc, out, err = ours("upscmd", "-u", "admin", "-p", "secret", peer.addr("ups"), "load.off")
    assert cmd_ok(rc, err)
    assert "Warning: a password given with -p is visible to other users" in err


def test_no_terminal_no_password(peer):
    """Without -p, file, environment or terminal there is nothing to send."""
    rc, out, err = ours("upscmd", "-u", "admin", peer.addr("ups"), "load.off")
    assert rc == 1
    assert "no password given and no terminal" in err


def pty_run(argv, answers, timeout=40):
    """Run argv on a new pseudo-terminal; answer prompts in order.
    Returns (exit status, everything the terminal showed)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    shown = b""
    pending = list(answers)
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                break
            shown += chunk
            while pending and pending[0][0].encode() in shown.split(b"\n")[-1]:
                prompt, answer = pending.pop(0)
                time.sleep(0.1)
                os.write(fd, answer.encode() + b"\n")
                shown += b"<sent>"
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


def test_password_prompt_without_echo(peer):
    rc, shown = pty_run([our_bin("upscmd"), "-u", "admin", peer.addr("ups"), "load.off"],
                        [("Password: ", "secret")])
    assert rc == 0, shown
    assert "Password: " in shown
    assert "secret" not in shown, "the password was echoed: %r" % shown
    assert "OK" in shown


def test_username_and_password_prompts(peer):
    rc, shown = pty_run([our_bin("upsrw"), "-s", "ups.delay.start=14", peer.addr("ups")],
                        [("Username (", "admin"), ("Password: ", "secret")])
    assert rc == 0, shown
    assert "secret" not in shown
    assert "OK" in shown
