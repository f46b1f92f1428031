"""The shipped filters: shutdown.filters allows the usual shutdown commands
with every argument pinned and nothing else; the dry-run sample allows only
its marker; `upswrap -t` checks without running anything."""
import os
import re

from conftest import REPO
from upswrap_helpers import install_upswrap, make_tree, require_root, run, write, OsloServer

SHUTDOWN = os.path.join(REPO, "conf", "rootwrap.d", "shutdown.filters")
DRYRUN = os.path.join(REPO, "conf", "rootwrap.d", "dryrun.filters.sample")

ALLOWED = [["/sbin/shutdown", "-h", "+0"], ["shutdown", "-h", "+0"],
           ["/usr/sbin/shutdown", "-h", "+0"], ["/sbin/shutdown", "-h", "now"],
           ["/sbin/shutdown", "-P", "now"], ["systemctl", "poweroff"],
           ["/bin/systemctl", "poweroff"], ["/usr/bin/systemctl", "poweroff"],
           ["/sbin/poweroff"], ["poweroff"]]
DENIED = [["/sbin/shutdown", "-h", "+5"], ["/sbin/shutdown", "-r", "now"],
          ["/sbin/shutdown", "-h", "+0", "extra"], ["/sbin/shutdown", "-h"],
          ["/sbin/shutdown", "-h", "+00"],
          ["systemctl", "reboot"], ["systemctl", "poweroff", "-i"],
          ["systemctl", "--force", "poweroff"], ["/tmp/systemctl", "poweroff"],
          ["/sbin/poweroff", "-f"], ["poweroff", "--reboot"], ["/sbin/reboot"], ["halt"],
          ["sh", "-c", "shutdown -h +0"], ["/sbin/shutdownx", "-h", "+0"],
          ["xshutdown", "-h", "+0"]]


# Note: like oslo (Python's '$'), an argument may carry one trailing newline:
# "+0\n" passes the "\+0" filter.  It is the same shutdown request.


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def check(upswrap, conf, cmd):
    rc, out, err = run([upswrap, "-t", conf] + cmd)
    return rc, out.decode()


def test_shutdown_filters_allow_exactly_the_usual_commands(workdir):
    require_root()
    conf = make_tree(str(workdir), {"shutdown.filters": read(SHUTDOWN)})
    upswrap = install_upswrap(str(workdir))
    rc, out = check(upswrap, conf, [])
    assert rc == 0 and "0 filter files refused" in out, out
    for cmd in ALLOWED:
        rc, out = check(upswrap, conf, cmd)
        assert rc == 0, (cmd, out)
        # runs the filter's executable, never the caller's word
        assert re.search(r"allowed: /(s?bin)/(shutdown|systemctl|poweroff)", out), out
    for cmd in DENIED:
        rc, out = check(upswrap, conf, cmd)
        assert rc == 99, (cmd, out)


def test_shutdown_filters_same_decisions_as_oslo(workdir):
    """Same regular expressions, executables swapped for /bin/echo so that
    oslo can run them here: the same commands pass."""
    require_root()
    text = re.sub(r"RegExpFilter, /s?bin/\w+,", "RegExpFilter, /bin/echo,", read(SHUTDOWN))
    conf = make_tree(str(workdir), {"shutdown.filters": text})
    upswrap = install_upswrap(str(workdir))
    server = OsloServer()
    try:
        for cmd in ALLOWED + DENIED:
            ours, theirs = run([upswrap, conf] + cmd), server.run(conf, cmd)
            assert ours[0] == theirs[0] and ours[1] == theirs[1], (cmd, ours, theirs)
    finally:
        server.close()


def test_dryrun_sample_allows_only_its_marker(workdir):
    require_root()
    conf = make_tree(str(workdir), {"dryrun.filters": read(DRYRUN)})
    upswrap = install_upswrap(str(workdir))
    rc, out = check(upswrap, conf, ["/usr/bin/touch", "/run/upsguard/shutdown-marker"])
    assert rc == 0 and "allowed: /usr/bin/touch /run/upsguard/shutdown-marker" in out, out
    for cmd in (["/usr/bin/touch", "/etc/nologin"], ["touch", "/run/upsguard/shutdown-markerx"],
                ["/usr/bin/touch", "-h", "/run/upsguard/shutdown-marker"],
                ["/sbin/shutdown", "-h", "+0"]):
        assert check(upswrap, conf, cmd)[0] == 99, cmd


def test_check_mode_runs_nothing_and_reports_refused_files(workdir):
    require_root()
    marker = os.path.join(str(workdir), "ran")
    script = write(os.path.join(str(workdir), "libexec", "mark"),
                   "#!/bin/sh\ntouch %s\n" % marker, mode=0o755)
    os.chmod(os.path.dirname(script), 0o755)
    conf = make_tree(str(workdir), {"m.filters": "[Filters]\nm: CommandFilter, %s, root\n" % script})
    upswrap = install_upswrap(str(workdir))
    rc, out = check(upswrap, conf, ["mark"])
    assert rc == 0 and "allowed" in out and not os.path.exists(marker)
    write(os.path.join(str(workdir), "etc", "rootwrap.d", "z.filters"), "[Filters]\nbroken\n")
    rc, out = check(upswrap, conf, [])
    assert rc == 97 and "z.filters:2" in out, out


def test_syslog_without_dev_log_falls_back_to_stderr(workdir):
    require_root()
    conf_text = ("[DEFAULT]\nfilters_path=%s\nexec_dirs=/bin\nuse_syslog=True\n"
                 % os.path.join(str(workdir), "etc", "rootwrap.d"))
    conf = make_tree(str(workdir), {"t.filters": "[Filters]\nt: CommandFilter, /bin/true, root\n"},
                     conf_text=conf_text)
    upswrap = install_upswrap(str(workdir))
    rc, _, err = run([upswrap, conf, "true"])
    assert rc == 0
    if not os.path.exists("/dev/log"):
        assert b"/dev/log unavailable" in err and b"allowed: true" in err, err
    else:
        assert b"allowed: true" not in err, err
    rc, _, err = run([upswrap, conf, "false"])
    assert rc == 99 and b"Unauthorized command: false" in err
