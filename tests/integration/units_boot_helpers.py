"""A Debian root filesystem booted with systemd-nspawn, for running the
shipped units under a real systemd (issue 10).

The root filesystem is made once with debootstrap and cached in
UPSGUARD_ROOTFS_CACHE (default /var/cache/upsguard-test/rootfs); each test
boots a copy, with a private network (loopback only).
"""
import os
import shutil
import signal
import subprocess
import time

CACHE = os.environ.get("UPSGUARD_ROOTFS_CACHE", "/var/cache/upsguard-test/rootfs")
MIRROR = os.environ.get("UPSGUARD_DEBIAN_MIRROR", "http://deb.debian.org/debian")
PACKAGES = ["systemd", "systemd-sysv", "dbus", "procps", "libevent-2.1-7",
            "libevent-core-2.1-7", "libevent-extra-2.1-7", "libevent-openssl-2.1-7",
            "libevent-pthreads-2.1-7", "libseccomp2", "libssl3", "libsystemd0", "libpcre2-8-0"]
STAMP = "upsguard-rootfs-packages"


def why_not_runnable():
    """None when nspawn can run here, else the reason."""
    if os.geteuid() != 0:
        return "needs root (systemd-nspawn)"
    for tool in ("systemd-nspawn", "debootstrap", "nsenter", "systemd-sysusers"):
        if not shutil.which(tool):
            return "%s is not installed" % tool
    return None


def ensure_rootfs():
    want = " ".join(PACKAGES)
    stamp = os.path.join(CACHE, STAMP)
    if os.path.exists(stamp) and open(stamp).read().strip() == want:
        return CACHE
    tmp = CACHE + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.dirname(CACHE), exist_ok=True)
    r = subprocess.run(["debootstrap", "--variant=minbase", "--include=" + ",".join(PACKAGES),
                        "bookworm", tmp, MIRROR], capture_output=True, text=True, timeout=1200)
    if r.returncode != 0:
        raise RuntimeError("debootstrap failed:\n" + (r.stdout + r.stderr)[-3000:])
    with open(os.path.join(tmp, STAMP), "w") as f:
        f.write(want + "\n")
    shutil.rmtree(CACHE, ignore_errors=True)
    os.rename(tmp, CACHE)
    return CACHE


class Machine:
    """A booted copy of the cached root filesystem."""

    def __init__(self, root, logpath):
        self.root = root
        self.log = open(logpath, "wb")
        self.proc = subprocess.Popen(
            ["systemd-nspawn", "-q", "-D", root, "--boot", "--register=no", "--keep-unit",
             "--private-network", "-M", "upsguardtest",
             # nspawn's own seccomp filter predates Landlock; without this the
             # programs inside would run without their Landlock rules.
             "--system-call-filter=landlock_create_ruleset landlock_add_rule "
             "landlock_restrict_self"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.init_pid = None

    def find_init(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open("/proc/%s/status" % pid) as f:
                        st = f.read()
                    ppid = int(st.split("PPid:")[1].split()[0])
                    name = st.split("Name:")[1].split()[0]
                    # nspawn forks helpers before it executes systemd: wait for it.
                    if ppid == self.proc.pid and name == "systemd":
                        self.init_pid = int(pid)
                        return self.init_pid
                except (OSError, IndexError, ValueError):
                    continue
            time.sleep(0.2)
        raise TimeoutError("container init did not appear")

    def run(self, *argv, timeout=30):
        """Run a command inside the container's namespaces."""
        return subprocess.run(["nsenter", "-t", str(self.init_pid), "-m", "-u", "-i", "-n", "-p",
                               "--"] + list(argv), capture_output=True, text=True,
                              timeout=timeout)

    def wait_booted(self, timeout=90):
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            r = self.run("systemctl", "is-system-running")
            state = r.stdout.strip()
            if state in ("running", "degraded"):
                return state
            time.sleep(0.5)
        raise TimeoutError("container did not finish booting (state %r)" % state)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)   # nspawn: clean poweroff
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()
