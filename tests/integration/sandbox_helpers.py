"""Helpers for the sandbox tests: the test hook server and /proc checks.

A test creates a HookServer in its workdir and passes `hook.env` to the
program it starts.  Each process of that program that calls
sandbox_hook_open() connects and says "HELLO <pid> <tag>"; the test then
asks it to attempt actions with `hook.ask(tag, "open /etc/shadow")`.
"""
import os
import socket
import threading
import time

HOOK_ENV = "UPSGUARD_TEST_HOOK"


class HookConn:
    def __init__(self, sock, pid, tag):
        self.sock = sock
        self.file = sock.makefile("rw", encoding="utf-8", newline="\n")
        self.pid = pid
        self.tag = tag

    def ask(self, line, timeout=10.0):
        """Send one request; return the reply line, or None when the process
        closed the hook (killed by seccomp, or replaced by exec)."""
        self.sock.settimeout(timeout)
        try:
            self.file.write(line + "\n")
            self.file.flush()
            reply = self.file.readline()
        except (BrokenPipeError, ConnectionResetError):
            return None
        return reply.strip() if reply else None


class HookServer:
    """Listens on a Unix socket; collects HELLO connections by tag.  Put it
    in a directory the dropped user can traverse (see open_dir)."""

    def __init__(self, workdir):
        self.path = os.path.join(str(workdir), "hook.sock")
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.path)
        os.chmod(self.path, 0o666)
        self.srv.listen(16)
        self.conns = []
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.closed = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def env(self):
        return {HOOK_ENV: self.path}

    def _accept(self):
        while not self.closed:
            try:
                s, _ = self.srv.accept()
            except OSError:
                return
            s.settimeout(10.0)
            try:
                hello = b""
                while not hello.endswith(b"\n"):
                    chunk = s.recv(1)
                    if not chunk:
                        break
                    hello += chunk
                parts = hello.decode().split()
                if len(parts) != 3 or parts[0] != "HELLO":
                    s.close()
                    continue
            except OSError:
                s.close()
                continue
            with self.cond:
                self.conns.append(HookConn(s, int(parts[1]), parts[2]))
                self.cond.notify_all()

    def wait(self, tag, timeout=15.0, pid=None):
        """The connection of the process tagged `tag` (None: any tag) and,
        when given, with process id `pid` (newest first)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for c in reversed(self.conns):
                    if (tag is None or c.tag == tag) and (pid is None or c.pid == pid):
                        return c
                left = deadline - time.monotonic()
                if left <= 0:
                    tags = [(c.tag, c.pid) for c in self.conns]
                    raise TimeoutError("no test-hook connection tagged %r (have %r); was the "
                                       "program built with test hooks, and does it call "
                                       "sandbox_hook_open()?" % (tag, tags))
                self.cond.wait(left)

    def close(self):
        self.closed = True
        try:
            self.srv.close()
        except OSError:
            pass
        for c in self.conns:
            try:
                c.sock.close()
            except OSError:
                pass


def make_open_dir():
    """A fresh directory under /tmp that unprivileged users can traverse
    (pytest's own base directory is 0700 root)."""
    import tempfile
    d = tempfile.mkdtemp(prefix="upsguard-sbx-", dir="/tmp")
    os.chmod(d, 0o755)
    return d


def proc_status(pid):
    """/proc/PID/status as a dict of field -> value string."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def assert_confined(pid, what="process"):
    """The checklist item: no root uid/gid anywhere, no capabilities, an empty
    bounding set, no_new_privs and a seccomp filter.  Programs connect the
    test hook before they apply the sandbox, so give them a moment to get
    there (the seccomp filter is the last step)."""
    deadline = time.monotonic() + 10.0
    st = proc_status(pid)
    while st.get("Seccomp") != "2" and time.monotonic() < deadline:
        time.sleep(0.05)
        st = proc_status(pid)
    uids = st["Uid"].split()
    gids = st["Gid"].split()
    problems = []
    if len(uids) != 4 or "0" in uids:
        problems.append("Uid %s" % st["Uid"])
    if len(gids) != 4 or "0" in gids:
        problems.append("Gid %s" % st["Gid"])
    for cap in ("CapEff", "CapPrm", "CapBnd", "CapAmb", "CapInh"):
        if int(st[cap], 16) != 0:
            problems.append("%s %s" % (cap, st[cap]))
    if st.get("NoNewPrivs") != "1":
        problems.append("NoNewPrivs %s" % st.get("NoNewPrivs"))
    if st.get("Seccomp") != "2":
        problems.append("Seccomp %s" % st.get("Seccomp"))
    if int(st.get("Seccomp_filters", "0")) < 1:
        problems.append("Seccomp_filters %s" % st.get("Seccomp_filters"))
    assert not problems, "%s (pid %d) not confined: %s" % (what, pid, ", ".join(problems))
    return st


DENIED = ("ERR EACCES", "ERR EPERM")


def assert_denied(conn, request, also=()):
    """The request fails with EACCES/EPERM (or one of `also`), or the process
    was killed for trying (reply None)."""
    reply = conn.ask(request)
    assert reply is None or reply in DENIED + tuple(also), \
        "%s (pid %d): %r was allowed: %r" % (conn.tag, conn.pid, request, reply)
    return reply


def assert_allowed(conn, request):
    reply = conn.ask(request)
    assert reply is not None and reply.startswith("OK"), \
        "%s (pid %d): %r was refused: %r" % (conn.tag, conn.pid, request, reply)
    return reply


def wait_dead(proc, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            return proc.p.returncode
        time.sleep(0.05)
    return None


def standard_forbidden(conn, bound_port=None, connect_port=None, chrooted=False,
                       exec_path="/bin/true"):
    """The forbidden actions every daemon must refuse: open /etc/shadow, bind
    another port, connect another port, socket(AF_PACKET), ptrace, exec.
    Exec comes last since a success would replace the process."""
    from conftest import free_port
    also = ("ERR ENOENT",) if chrooted else ()
    assert_denied(conn, "open /etc/shadow", also)
    assert_denied(conn, "write /etc/upsguard-sandbox-test", also + ("ERR EROFS",))
    other = free_port()
    while other in (bound_port, connect_port):
        other = free_port()
    assert_denied(conn, "bind %d" % other, ("ERR EAFNOSUPPORT",))
    # a listener the process must not reach: Landlock refuses before the SYN
    with socket.socket() as lst:
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)
        port = lst.getsockname()[1]
        if port not in (bound_port, connect_port):
            assert_denied(conn, "connect 127.0.0.1 %d" % port, ("ERR EAFNOSUPPORT",))
    assert_denied(conn, "socket packet", ("ERR EAFNOSUPPORT",))
    assert_denied(conn, "ptrace")
    assert_denied(conn, "exec %s" % exec_path, also)


def landlock_abi():
    """The kernel's Landlock ABI (0 when absent), via landlock_create_ruleset."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    r = libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return r if r > 0 else 0


def require_landlock(minimum):
    abi = landlock_abi()
    assert abi >= minimum, (
        "this kernel's Landlock ABI is %d; the rule under test needs ABI >= %d "
        "(Linux >= 6.7 with landlock in the lsm= list)" % (abi, minimum))
    return abi


def require_root():
    assert os.geteuid() == 0, "this test drops privileges and must run as root"


class LandlockOnlyDir:
    """A directory DAC lets everyone read and write (0777, a 0644 file in it)
    that no sandbox manifest lists: a refusal there is Landlock's doing.
    It lives in /dev/shm, which the script sandboxes do not grant."""

    def __init__(self, base="/dev/shm"):
        import tempfile
        self.path = tempfile.mkdtemp(prefix="upsguard-ll-", dir=base)
        os.chmod(self.path, 0o777)
        self.secret = os.path.join(self.path, "readable")
        with open(self.secret, "w") as f:
            f.write("world-readable\n")
        os.chmod(self.secret, 0o644)

    def cleanup(self):
        import shutil
        shutil.rmtree(self.path, ignore_errors=True)


def dac_allows(uid, gid, path, mode):
    """Whether plain Unix permissions let uid/gid open `path` ("r", or "w" to
    create/append): checked in a forked child that drops to that identity,
    so a refusal seen in a sandboxed process is shown to come from Landlock."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            flags = os.O_RDONLY if mode == "r" else os.O_WRONLY | os.O_CREAT | os.O_APPEND
            os.close(os.open(path, flags, 0o600))
            if mode == "w":
                os.unlink(path)
            code = 0
        except OSError:
            code = 1
        finally:
            os._exit(code)
    _, st = os.waitpid(pid, 0)
    return os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0


def loopback_listener(backlog=1, blocking=False):
    """A listening TCP socket on 127.0.0.1 and a port of its own (use `with`)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(backlog)
    s.setblocking(blocking)
    return s


def write_script(path, text, mode=0o755):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def kill_and_reap_wait(pid, timeout=10.0):
    """SIGTERM a daemon we did not start directly (by pid), and wait until it
    is gone from /proc: an orphan stays a zombie until init reaps it, and
    tests that count processes by name must not see it."""
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as f:
                f.read()
        except OSError:
            return
        time.sleep(0.1)
