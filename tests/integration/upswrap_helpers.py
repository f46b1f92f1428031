"""Helpers for the upswrap tests: root-owned trees of rootwrap.conf and
filter files, an installed copy of upswrap (its own chain of trust must
be root-owned too), and running upswrap and Debian's oslo-rootwrap on the
same command line."""
import os
import shutil
import subprocess

from conftest import our_bin

OSLO = "/usr/bin/oslo-rootwrap"
ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/root",
    "USER": "root",
    "LOGNAME": "root",
}


def require_root():
    import pytest
    if os.geteuid() != 0:
        pytest.fail("upswrap tests need root: the chain of trust must be root-owned "
                    "(CI runs the tests as root)")
    if not os.access(OSLO, os.X_OK):
        pytest.fail("%s missing: install python3-oslo.rootwrap" % OSLO)


def install_upswrap(root):
    """Copy the built upswrap and its twin upswrap-nss (which the static
    build hands calls that need NSS to) into ROOT/bin (root-owned, 0755).
    Returns upswrap's path."""
    bindir = os.path.join(root, "bin")
    os.makedirs(bindir, mode=0o755, exist_ok=True)
    for name in ("upswrap-nss", "upswrap"):
        dst = os.path.join(bindir, name)
        if not os.path.exists(dst):
            shutil.copy2(our_bin(name), dst)
            os.chmod(dst, 0o755)
    return dst


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def make_tree(root, filters, conf_extra="", exec_dirs="/sbin,/usr/sbin,/bin,/usr/bin",
              filters_path=None, conf_text=None):
    """ROOT/etc/rootwrap.conf and ROOT/etc/rootwrap.d/<name> for each
    (name, text) in filters.  Returns the config path."""
    etc = os.path.join(root, "etc")
    fdir = os.path.join(etc, "rootwrap.d")
    os.makedirs(fdir, mode=0o755, exist_ok=True)
    for name, text in filters.items():
        write(os.path.join(fdir, name), text)
    if conf_text is None:
        conf_text = "[DEFAULT]\nfilters_path = %s\n" % (filters_path or fdir)
        if exec_dirs is not None:
            conf_text += "exec_dirs = %s\n" % exec_dirs
        conf_text += "use_syslog = False\n" + conf_extra
    return write(os.path.join(etc, "rootwrap.conf"), conf_text)


def run(argv, cwd=None, env=None, timeout=30):
    p = subprocess.run(argv, cwd=cwd, env=env or ENV, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


class OsloServer:
    """upswrap_oslo_server.py as a child: oslo_rootwrap.cmd.main() per request
    in a fork of a small warm interpreter (same code as /usr/bin/oslo-rootwrap)."""

    def __init__(self):
        here = os.path.dirname(os.path.abspath(__file__))
        self.p = subprocess.Popen(["/usr/bin/python3", os.path.join(here, "upswrap_oslo_server.py")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  env=ENV)

    def run(self, conf, cmd, cwd=None, env=None, warm=()):
        import base64
        import json
        self.p.stdin.write(json.dumps({"conf": conf, "cmd": list(cmd), "cwd": cwd,
                                       "env": env or ENV, "warm": list(warm)}) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("oslo server died")
        r = json.loads(line)
        return r["rc"], base64.b64decode(r["out"]), base64.b64decode(r["err"])

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def run_both(upswrap, conf, cmd, cwd=None):
    """(ours, oslo) as (rc, stdout, stderr) each."""
    ours = run([upswrap, conf] + cmd, cwd=cwd)
    theirs = run([OSLO, conf] + cmd, cwd=cwd)
    return ours, theirs
