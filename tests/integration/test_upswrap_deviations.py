"""Where upswrap deliberately decides differently from oslo.rootwrap: each
case shows oslo's result and ours, so the difference stays a choice and
does not become an accident.  All of them make upswrap stricter (deny
where oslo allows) or replace an oslo crash with a clear refusal."""
import os

from upswrap_helpers import install_upswrap, make_tree, require_root, run, write, OSLO, OsloServer


def both(root, filters, cmd, cwd=None, **kw):
    conf = make_tree(str(root), filters, **kw)
    upswrap = install_upswrap(str(root))
    server = OsloServer()
    try:
        theirs = server.run(conf, cmd, cwd=cwd)
    finally:
        server.close()
    return run([upswrap, conf] + cmd, cwd=cwd), theirs


def test_path_filter_requires_a_real_subdirectory(workdir):
    """oslo compares character prefixes: /x/allowed2 passes for /x/allowed."""
    require_root()
    base = os.path.join(str(workdir), "d")
    os.makedirs(base + "/allowed")
    os.makedirs(base + "/allowed2")
    f = {"p.filters": "[Filters]\np: PathFilter, /bin/echo, root, %s/allowed\n" % base}
    ours, theirs = both(workdir, f, ["echo", base + "/allowed2/secret"])
    assert theirs[0] == 0 and ours[0] == 99
    ours, theirs = both(workdir, f, ["echo", base + "/allowed/x"])
    assert theirs[0] == ours[0] == 0


def test_kill_pid_must_be_plain_decimal(workdir):
    """oslo's int() accepts ' 12', '+12', '1_2'; /bin/kill may read them
    differently from the PID that was checked."""
    require_root()
    import subprocess
    p = subprocess.Popen(["/usr/bin/sleep", "60"])
    try:
        f = {"k.filters": "[Filters]\nk: KillFilter, root, /usr/bin/sleep, -0\n"}
        for form in ("+%d", " %d", "%d ", "0%d"):
            pid = form % p.pid
            ours, theirs = both(workdir, f, ["kill", "-0", pid])
            if form == "0%d":
                assert ours[0] == theirs[0], (form, ours, theirs)
            else:
                assert theirs[0] != 99 and ours[0] == 99, (form, ours, theirs)
    finally:
        p.kill()
        p.wait()


def test_ip_batch_option_refused(workdir):
    """IpFilter lets `ip -b FILE` through, and a batch file (or stdin with
    -b -) can hold `netns exec NS COMMAND`."""
    require_root()
    f = {"ip.filters": "[Filters]\nip: IpFilter, ip, root\n"}
    for opt in ("-b", "-batch", "--batch", "-ba"):
        ours, theirs = both(workdir, f, ["ip", opt, "/dev/null"])
        assert theirs[0] == 0 and ours[0] == 99, (opt, ours, theirs)
    # after an option that takes an argument
    ours, theirs = both(workdir, f, ["ip", "-n", "upswrap-no-ns", "-b", "/dev/null"])
    assert theirs[0] not in (96, 97, 98, 99) and ours[0] == 99, (ours, theirs)
    ours, theirs = both(workdir, f, ["ip", "-br", "link", "show", "lo"])
    assert ours[0] == theirs[0] == 0


def test_broken_filter_file_does_not_crash(workdir):
    """oslo dies with a traceback (exit 1) on a filter file that does not
    parse, or on a wrong argument count; upswrap refuses what that file
    would allow, names file:line, and keeps the other files."""
    require_root()
    f = {"a.filters": "[Filters]\ntrue: CommandFilter, /bin/true, root\n",
         "b.filters": "[Filters]\necho: CommandFilter, /bin/echo, root\nnot a line\n",
         "c.filters": "[Filters]\nnoargs: CommandFilter, /bin/ls\n",
         "d.filters": "[Other]\nx: CommandFilter, /bin/id, root\n"}
    ours, theirs = both(workdir, f, ["true"])
    assert theirs[0] == 1 and b"Traceback" in theirs[2]
    assert ours[0] == 0
    ours, _ = both(workdir, f, ["echo", "x"])
    assert ours[0] == 99 and b"b.filters:3" in ours[2]


def test_bad_regexp_refuses_the_whole_file(workdir):
    """oslo only skips the filter with the bad expression; upswrap refuses
    the file (its author's intent is unclear) and names the line."""
    require_root()
    f = {"r.filters": "[Filters]\nok: CommandFilter, /bin/true, root\n"
                      "bad: RegExpFilter, /bin/echo, root, echo, [a-\n"}
    ours, theirs = both(workdir, f, ["true"])
    assert theirs[0] == 0 and ours[0] == 99 and b"r.filters:3" in ours[2]


def test_relative_dirs_ignored(workdir):
    """oslo resolves relative filters_path / exec_dirs entries against the
    caller's working directory; upswrap ignores them."""
    require_root()
    root = str(workdir)
    os.makedirs(os.path.join(root, "cwd", "rel.d"))
    write(os.path.join(root, "cwd", "rel.d", "x.filters"),
          "[Filters]\ntrue: CommandFilter, /bin/true, root\n")
    fdir = os.path.join(root, "etc", "rootwrap.d")
    conf_text = "[DEFAULT]\nfilters_path=%s,rel.d\nexec_dirs=/bin\n" % fdir
    ours, theirs = both(workdir, {"e.filters": "[Filters]\n"}, ["true"],
                        cwd=os.path.join(root, "cwd"), conf_text=conf_text)
    assert theirs[0] == 0 and ours[0] == 99


def test_no_implicit_privsep_helper(workdir):
    """oslo always adds `privsep-helper: CommandFilter, privsep-helper, root`."""
    require_root()
    ours, theirs = both(workdir, {"e.filters": "[Filters]\n"}, ["privsep-helper"])
    assert theirs[0] == 96 and ours[0] == 99
