"""upspasswd: yescrypt hashes written into upsd.users, checked end to end
through our upsd (a hashed user logs in, a wrong password is refused), with
the file's comments, owner and mode kept across add/change/delete."""
import os
import shutil
import socket
import stat
import subprocess

import pytest

from conftest import DDL_DIR, free_port, our_bin, wait_for_path, wait_for_port, wait_for_ups
from sandbox_helpers import make_open_dir, require_root

HEADER = """# upsd.users for the test
# (comments and layout must survive upspasswd)

[admin]
\tpassword = adminpw   # plaintext, as NUT allows
\tactions = SET FSD
\tinstcmds = ALL
\tupsmon secondary
"""


@pytest.fixture
def opendir():
    d = make_open_dir()
    yield d
    shutil.rmtree(d, ignore_errors=True)


def upspasswd(args, stdin=None, timeout=30):
    return subprocess.run([our_bin("upspasswd")] + list(args), input=stdin,
                          capture_output=True, text=True, timeout=timeout,
                          stdin=None if stdin is not None else subprocess.DEVNULL)


def users_file(d, mode=0o640, gid=0, text=HEADER):
    path = os.path.join(d, "upsd.users")
    with open(path, "w") as f:
        f.write(text)
    os.chown(path, 0, gid)
    os.chmod(path, mode)
    return path


def session(port, lines, timeout=10):
    """Send each line on one connection; return the first reply line of each."""
    replies = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        f = s.makefile("rw", newline="\n")
        for line in lines:
            f.write(line + "\n")
            f.flush()
            replies.append(f.readline().rstrip("\n"))
    return replies


class Stack:
    """NUT's dummy-ups driver (dropping to the run-as user, so its socket
    belongs to it) and our upsd, sharing a config and a state directory."""

    def __init__(self, procs, base, run_user, users_path):
        self.procs = procs
        self.base = base
        self.etc = os.path.dirname(users_path)
        self.run = os.path.join(base, "run")
        os.makedirs(self.run, exist_ok=True)
        os.chown(self.run, run_user[1], run_user[2])
        shutil.copy(os.path.join(DDL_DIR, sorted(f for f in os.listdir(DDL_DIR)
                                                 if f.endswith(".dev"))[0]),
                    os.path.join(self.etc, "ups1.dev"))
        os.chmod(os.path.join(self.etc, "ups1.dev"), 0o644)
        with open(os.path.join(self.etc, "ups.conf"), "w") as f:
            f.write("[ups1]\n\tdriver = dummy-ups\n\tport = ups1.dev\n")
        self.port = free_port()
        with open(os.path.join(self.etc, "upsd.conf"), "w") as f:
            f.write("LISTEN 127.0.0.1 %d\n" % self.port)
        self.env = {"NUT_CONFPATH": self.etc, "NUT_STATEPATH": self.run}
        self.upsd = None

    def start(self):
        self.procs.start(["/lib/nut/dummy-ups", "-a", "ups1", "-F", "-u", "upsguard"],
                         env=self.env, cwd=self.base, name="nut-dummy")
        wait_for_path(os.path.join(self.run, "dummy-ups-ups1"))
        return self.start_upsd()

    def start_upsd(self):
        if self.upsd:
            self.upsd.stop()
        self.upsd = self.procs.start([our_bin("upsd"), "-F"], env=self.env, cwd=self.base,
                                     name="upsd")
        wait_for_port(self.port)
        wait_for_ups(self.port, "ups1")
        return self

    def login(self, user, password):
        return session(self.port, ["USERNAME %s" % user, 'PASSWORD "%s"' % password,
                                   "LOGIN ups1"])[-1]


def test_upspasswd_round_trip_through_upsd(opendir, procs, run_user):
    require_root()
    etc = os.path.join(opendir, "etc")
    os.mkdir(etc)
    os.chmod(etc, 0o755)
    path = users_file(etc, 0o640, run_user[2])

    r = upspasswd(["-f", path, "-s", "-m", "primary", "add", "monuser"], stdin="s3cret pw\n")
    assert r.returncode == 0, r.stderr
    text = open(path).read()
    assert text.startswith(HEADER), "existing content changed:\n" + text
    assert "[monuser]" in text and "upsmon primary" in text
    assert "$y$" in text and "s3cret" not in text
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o640
    assert (st.st_uid, st.st_gid) == (0, run_user[2])

    stack = Stack(procs, opendir, run_user, path).start()
    assert stack.login("monuser", "s3cret pw") == "OK"
    assert stack.login("monuser", "s3cret pX") == "ERR ACCESS-DENIED"
    assert stack.login("monuser", "") in ("ERR ACCESS-DENIED", "ERR INVALID-ARGUMENT",
                                          "ERR INVALID-PASSWORD")
    assert stack.login("admin", "adminpw") == "OK"  # the untouched plaintext user

    # change: the new password works, the old one no longer does
    r = upspasswd(["-f", path, "-s", "change", "monuser"], stdin="n3w-pass\n")
    assert r.returncode == 0, r.stderr
    assert open(path).read().startswith(HEADER)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    stack.start_upsd()
    assert stack.login("monuser", "n3w-pass") == "OK"
    assert stack.login("monuser", "s3cret pw") == "ERR ACCESS-DENIED"

    # change the plaintext admin into a hash
    r = upspasswd(["-f", path, "-s", "change", "admin"], stdin="adm1n-hash\n")
    assert r.returncode == 0, r.stderr
    text = open(path).read()
    assert "adminpw" not in text and "# plaintext, as NUT allows" not in text
    assert "\tactions = SET FSD\n" in text and text.startswith("# upsd.users for the test\n")

    # delete: gone from the file and refused by upsd
    r = upspasswd(["-f", path, "delete", "monuser"])
    assert r.returncode == 0, r.stderr
    text = open(path).read()
    assert "monuser" not in text and "upsmon primary" not in text
    assert text.startswith("# upsd.users for the test\n# (comments and layout")
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o640 and st.st_gid == run_user[2]
    stack.start_upsd()
    assert stack.login("monuser", "n3w-pass") == "ERR ACCESS-DENIED"
    assert stack.login("admin", "adm1n-hash") == "OK"
    # no temporary files left beside it
    assert sorted(os.listdir(etc)) == ["ups.conf", "ups1.dev", "upsd.conf", "upsd.users"]


def test_upspasswd_refusals(opendir):
    path = users_file(opendir, 0o600)
    before = open(path).read()
    # no terminal and no -s: says how to proceed
    r = upspasswd(["-f", path, "add", "u1"])
    assert r.returncode != 0 and "-s" in r.stderr
    # existing user on add, missing user on change/delete
    r = upspasswd(["-f", path, "-s", "add", "admin"], stdin="x\n")
    assert r.returncode != 0 and "already exists" in r.stderr
    r = upspasswd(["-f", path, "-s", "change", "ghost"], stdin="x\n")
    assert r.returncode != 0 and "no such user" in r.stderr
    r = upspasswd(["-f", path, "delete", "ghost"])
    assert r.returncode != 0 and "no such user" in r.stderr
    # bad names and empty passwords
    r = upspasswd(["-f", path, "-s", "add", "bad]name"], stdin="x\n")
    assert r.returncode != 0 and "invalid user name" in r.stderr
    r = upspasswd(["-f", path, "-s", "add", "u2"], stdin="\n")
    assert r.returncode != 0 and "empty" in r.stderr
    r = upspasswd(["-f", path, "-s", "add", "u2"], stdin="")
    assert r.returncode != 0
    # an overlong password (beyond PASSWD_MAX_LEN) is refused, not truncated
    r = upspasswd(["-f", path, "-s", "add", "u3"], stdin="p" * 600 + "\n")
    assert r.returncode != 0 and "too long" in r.stderr
    r = upspasswd(["-f", path, "-s", "-a", 'SET"FSD', "add", "u4"], stdin="x\n")
    assert r.returncode != 0
    # usage errors
    assert upspasswd(["-f", path, "frobnicate", "x"]).returncode == 2
    assert upspasswd([]).returncode == 2
    assert open(path).read() == before


def test_upspasswd_warns_about_open_mode_and_creates_private_file(opendir):
    path = users_file(opendir, 0o644)
    r = upspasswd(["-f", path, "-s", "add", "u1"], stdin="pw1\n")
    assert r.returncode == 0
    assert "warning" in r.stderr and "chmod" in r.stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644  # kept, but the admin is told

    new = os.path.join(opendir, "new.users")
    r = upspasswd(["-f", new, "-s", "add", "first"], stdin="pw\n")
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(new).st_mode) == 0o600
    assert open(new).read().startswith("[first]\n\tpassword = \"$y$")
    # change/delete never create a file
    r = upspasswd(["-f", os.path.join(opendir, "none.users"), "delete", "x"])
    assert r.returncode != 0


def test_upspasswd_follows_symlink_and_keeps_it(opendir):
    real = users_file(opendir, 0o640)
    link = os.path.join(opendir, "link.users")
    os.symlink(real, link)
    r = upspasswd(["-f", link, "-s", "add", "viaLink"], stdin="pw\n")
    assert r.returncode == 0, r.stderr
    assert os.path.islink(link)
    assert "[viaLink]" in open(real).read()


def test_upspasswd_then_sighup_reload_in_sandboxed_upsd(opendir, procs, run_user):
    """The sandboxed upsd can still re-read upsd.users on SIGHUP (its
    manifest lists the configuration directory), so a user added by
    upspasswd logs in without a restart."""
    require_root()
    import signal
    from conftest import wait_for
    etc = os.path.join(opendir, "etc")
    os.mkdir(etc)
    os.chmod(etc, 0o755)
    path = users_file(etc, 0o640, run_user[2])
    stack = Stack(procs, opendir, run_user, path).start()
    assert stack.login("late", "pw-late") == "ERR ACCESS-DENIED"
    r = upspasswd(["-f", path, "-s", "-m", "secondary", "add", "late"], stdin="pw-late\n")
    assert r.returncode == 0, r.stderr
    stack.upsd.signal(signal.SIGHUP)
    wait_for(lambda: stack.login("late", "pw-late") == "OK", 10,
             what="the new user after SIGHUP")
    assert stack.upsd.alive()
