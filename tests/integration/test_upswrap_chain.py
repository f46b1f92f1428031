"""The chain of trust: every link (upswrap itself, rootwrap.conf, each
filters_path directory and its parents, each filter file, each executable
and the directory it is found in) must be owned by root and not writable by
group or others, and is resolved without following a link someone else
controls.  Each link is broken in turn (group/other-writable, owned by the
unprivileged test user, replaced by a symbolic link): upswrap must refuse
with exit code 97, name the file, and not run the command.  oslo-rootwrap
runs the command in every one of these cases (it checks none of them)."""
import os
import shutil
import subprocess

import pytest

from upswrap_helpers import install_upswrap, make_tree, require_root, run, write, OSLO


def tree(root):
    """A good tree: filters allow `marker` (a script writing a file) and
    /bin/true.  Returns (upswrap, conf, paths)."""
    root = str(root)
    marker_out = os.path.join(root, "ran")
    xdir = os.path.join(root, "libexec")
    os.makedirs(xdir, mode=0o755, exist_ok=True)
    os.chmod(xdir, 0o755)
    script = write(os.path.join(xdir, "marker"),
                   "#!/bin/sh\necho ran >> %s\n" % marker_out, mode=0o755)
    conf = make_tree(root, {"m.filters": "[Filters]\nmarker: CommandFilter, marker, root\n"
                                         "true: CommandFilter, /bin/true, root\n"},
                     exec_dirs=xdir)
    upswrap = install_upswrap(root)
    etc = os.path.join(root, "etc")
    return upswrap, conf, {
        "root": root, "etc": etc, "fdir": os.path.join(etc, "rootwrap.d"),
        "filter": os.path.join(etc, "rootwrap.d", "m.filters"), "xdir": xdir,
        "script": script, "marker": marker_out, "upswrap": upswrap,
        "bindir": os.path.dirname(upswrap)}


def ran(p):
    return os.path.exists(p["marker"])


def expect_refused(upswrap, conf, p, named, cmd=("marker",)):
    rc, out, err = run([upswrap, conf] + list(cmd))
    err = err.decode(errors="replace")
    assert rc == 97, "expected 97 (refused), got %d: %s" % (rc, err)
    assert named in err, "the message should name %s: %s" % (named, err)
    assert not ran(p), "the command ran although the chain is broken"
    return err


def test_good_chain_runs(workdir):
    require_root()
    upswrap, conf, p = tree(workdir)
    rc, out, err = run([upswrap, conf, "marker"])
    assert rc == 0, err
    assert ran(p)
    assert b"allowed" in err and b"uid=0" in err and b"filter match = marker" in err


@pytest.mark.parametrize("link", ["conf", "etc", "fdir", "filter", "script", "xdir",
                                  "upswrap", "bindir", "root"])
def test_group_or_other_writable_link_refused(workdir, link):
    require_root()
    upswrap, conf, p = tree(workdir)
    path = conf if link == "conf" else p[link]
    mode = os.stat(path).st_mode & 0o7777
    for bits in (0o020, 0o002):
        os.chmod(path, mode | bits)
        try:
            expect_refused(upswrap, conf, p, path)
        finally:
            os.chmod(path, mode)
    # oslo-rootwrap does not check: it runs the command
    os.chmod(path, mode | 0o002)
    if link not in ("upswrap", "bindir"):
        rc, _, _ = run([OSLO, conf, "marker"])
        assert rc == 0 and ran(p)
    os.chmod(path, mode)


@pytest.mark.parametrize("link", ["conf", "etc", "fdir", "filter", "script", "xdir",
                                  "upswrap", "bindir"])
def test_link_owned_by_another_user_refused(workdir, run_user, link):
    require_root()
    _, uid, gid = run_user
    upswrap, conf, p = tree(workdir)
    path = conf if link == "conf" else p[link]
    os.chown(path, uid, gid)
    try:
        err = expect_refused(upswrap, conf, p, path)
        assert "uid %d" % uid in err
    finally:
        os.chown(path, 0, 0)


@pytest.mark.parametrize("how", ["relative", "link"])
def test_program_checked_however_it_is_started(workdir, run_user, how):
    """upswrap finds itself from the path execve() was given when it is
    absolute, else from /proc/self/exe: started as ./upswrap from its
    directory, or through a root-owned link to it, a program owned by
    another user or group-writable is still refused."""
    require_root()
    _, uid, gid = run_user
    upswrap, conf, p = tree(workdir)
    if how == "relative":
        argv, cwd = ["./" + os.path.basename(upswrap), conf, "marker"], p["bindir"]
    else:
        alias = os.path.join(p["root"], "upswrap-link")
        os.symlink(upswrap, alias)
        argv, cwd = [alias, conf, "marker"], None
    rc, _, err = run(argv, cwd=cwd)
    assert rc == 0, err
    os.unlink(p["marker"])
    for change in ("owner", "mode"):
        if change == "owner":
            os.chown(upswrap, uid, gid)
        else:
            os.chmod(upswrap, 0o775)
        try:
            rc, _, err = run(argv, cwd=cwd)
            assert rc == 97, err
            assert upswrap.encode() in err, err
            assert not ran(p)
        finally:
            os.chown(upswrap, 0, 0)
            os.chmod(upswrap, 0o755)


@pytest.mark.parametrize("via", ["dotdot", "dotdot-user-dir", "abs-link", "rel-link"])
def test_filters_path_around_checked_directories(workdir, run_user, via):
    """The walks of one call start below directories an earlier walk
    checked (the program's, rootwrap.conf's): a filters_path that climbs out
    of them with "..", or through links, is still resolved and checked from
    where it really goes."""
    require_root()
    _, uid, gid = run_user
    upswrap, conf, p = tree(workdir)
    etc, fdir = p["etc"], p["fdir"]
    if via == "dotdot":
        path, refused = os.path.join(etc, "..", "etc", "rootwrap.d"), None
    elif via == "dotdot-user-dir":
        sub = os.path.join(etc, "sub")
        os.mkdir(sub, 0o755)
        os.chown(sub, uid, gid)
        path, refused = os.path.join(sub, "..", "rootwrap.d"), sub
    elif via == "abs-link":
        path, refused = os.path.join(etc, "fl"), None
        os.symlink(fdir, path)
    else:
        os.mkdir(os.path.join(p["root"], "other"), 0o755)
        path, refused = os.path.join(p["root"], "other", "fl"), None
        os.symlink("../etc/rootwrap.d", path)
    write(conf, "[DEFAULT]\nfilters_path = %s\nexec_dirs = %s\nuse_syslog = False\n"
          % (path, p["xdir"]))
    if refused:
        expect_refused(upswrap, conf, p, refused)
    else:
        rc, _, err = run([upswrap, conf, "marker"])
        assert rc == 0, err
        assert ran(p)


def is_static(path):
    """True for an ELF file without a program interpreter (PT_INTERP)."""
    out = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True).stdout
    return "INTERP" not in out


@pytest.mark.parametrize("twin", ["good", "missing", "group-writable", "user-owned"])
def test_calls_that_need_nss_go_to_the_twin(workdir, run_user, twin):
    """The static upswrap has no NSS: a filter running a command as a user
    other than root goes, unchanged, to upswrap-nss beside it, which must be
    a sound link of the chain itself.  A root call never needs the twin.
    (A sanitizer build links upswrap dynamically and never hands over.)"""
    require_root()
    name, uid, gid = run_user
    upswrap, conf, p = tree(workdir)
    write(os.path.join(p["fdir"], "m.filters"),
          "[Filters]\nmarker: CommandFilter, marker, root\n"
          "id: CommandFilter, /usr/bin/id, %s\n" % name)
    nss = os.path.join(p["bindir"], "upswrap-nss")
    if twin == "missing":
        os.unlink(nss)
    elif twin == "group-writable":
        os.chmod(nss, 0o775)
    elif twin == "user-owned":
        os.chown(nss, uid, gid)
    rc, out, err = run([upswrap, conf, "id", "-u"])
    if twin == "good" or not is_static(upswrap):
        assert rc == 0, err
        assert out.decode().strip() == str(uid)
        assert err.count(b"allowed") == 1, err  # logged once, by whichever ran it
    else:
        assert rc == 97, err
        assert nss.encode() in err, err
        assert not out
    rc, _, err = run([upswrap, conf, "marker"])
    assert rc == 0 and ran(p), err


def test_sticky_parent_is_traversed_but_not_for_filters_or_exec_dirs(workdir):
    """A sticky world-writable directory (like /tmp) may be crossed, since
    no one else can rename its root-owned entries; a filters directory or
    an exec dir may not be one (anyone could add files)."""
    require_root()
    upswrap, conf, p = tree(workdir)
    os.chmod(p["root"], 0o1777)
    try:
        rc, _, err = run([upswrap, conf, "marker"])
        assert rc == 0, err
        os.unlink(p["marker"])
        for d in ("fdir", "xdir"):
            os.chmod(p[d], 0o1777)
            try:
                expect_refused(upswrap, conf, p, p[d])
            finally:
                os.chmod(p[d], 0o755)
    finally:
        os.chmod(p["root"], 0o755)


def _replace_by_link(path, target):
    backup = path + ".orig"
    os.rename(path, backup)
    os.symlink(target, path)
    return backup


def test_filter_file_replaced_by_link_to_user_file_refused(workdir, run_user):
    require_root()
    _, uid, gid = run_user
    upswrap, conf, p = tree(workdir)
    evil = write(os.path.join(p["root"], "evil.filters"),
                 "[Filters]\nsh: CommandFilter, /bin/sh, root\n")
    os.chown(evil, uid, gid)
    os.unlink(p["filter"])
    os.symlink(evil, p["filter"])
    err = expect_refused(upswrap, conf, p, evil, cmd=("sh", "-c", "id"))
    assert "owned by uid %d" % uid in err


def test_link_owned_by_user_refused(workdir, run_user):
    """A root-owned target reached through a symbolic link that the user
    owns: the link itself is a link someone else controls."""
    require_root()
    _, uid, gid = run_user
    upswrap, conf, p = tree(workdir)
    real = os.path.join(p["etc"], "real.filters")
    shutil.move(p["filter"], real)
    os.symlink(real, p["filter"])
    os.lchown(p["filter"], uid, gid)
    err = expect_refused(upswrap, conf, p, p["filter"])
    assert "symbolic link" in err


def test_root_owned_links_are_followed(workdir):
    """Links owned by root in root-owned directories are fine (e.g. /sbin
    -> usr/sbin on merged-/usr systems)."""
    require_root()
    upswrap, conf, p = tree(workdir)
    real = os.path.join(p["etc"], "real.filters")
    shutil.move(p["filter"], real)
    os.symlink(real, p["filter"])
    rc, _, err = run([upswrap, conf, "marker"])
    assert rc == 0, err


def test_conf_replaced_by_link_to_user_file_refused(workdir, run_user):
    require_root()
    _, uid, gid = run_user
    upswrap, conf, p = tree(workdir)
    evil = write(os.path.join(p["root"], "evil.conf"),
                 "[DEFAULT]\nfilters_path=%s\n" % p["fdir"])
    os.chown(evil, uid, gid)
    _replace_by_link(conf, evil)
    expect_refused(upswrap, conf, p, evil)


def test_filters_dir_replaced_by_link_to_user_dir_refused(workdir, run_user):
    require_root()
    _, uid, gid = run_user
    upswrap, conf, p = tree(workdir)
    udir = os.path.join(p["root"], "userdir")
    os.makedirs(udir)
    write(os.path.join(udir, "x.filters"), "[Filters]\nmarker: CommandFilter, marker, root\n")
    os.chown(udir, uid, gid)
    _replace_by_link(p["fdir"], udir)
    expect_refused(upswrap, conf, p, udir)


def test_executable_replaced_by_link_to_user_script_refused(workdir, run_user):
    require_root()
    _, uid, gid = run_user
    upswrap, conf, p = tree(workdir)
    evil = write(os.path.join(p["root"], "evil.sh"), "#!/bin/sh\necho ran >> %s\n" % p["marker"],
                 mode=0o755)
    os.chown(evil, uid, gid)
    _replace_by_link(p["script"], evil)
    expect_refused(upswrap, conf, p, evil)


def test_parent_of_upswrap_owned_by_user_refused(workdir, run_user):
    require_root()
    _, uid, gid = run_user
    upswrap, conf, p = tree(workdir)
    os.chown(p["bindir"], uid, gid)
    try:
        expect_refused(upswrap, conf, p, p["bindir"])
    finally:
        os.chown(p["bindir"], 0, 0)


def test_unparseable_filter_file_denies_its_filters_and_names_line(workdir):
    """A filter file that does not parse allows nothing, other files still
    work, and a refusal names file:line."""
    require_root()
    upswrap, conf, p = tree(workdir)
    broken = write(os.path.join(p["fdir"], "broken.filters"),
                   "[Filters]\nok: CommandFilter, /bin/echo, root\nthis is not a filter line\n")
    rc, _, err = run([upswrap, conf, "echo", "hi"])
    assert rc == 99
    assert ("%s:3" % broken).encode() in err, err
    rc, _, err = run([upswrap, conf, "marker"])
    assert rc == 0, err
    # a bad regular expression is a parse error of the file too
    write(broken, "[Filters]\nok: CommandFilter, /bin/echo, root\n"
                  "re: RegExpFilter, /bin/echo, root, echo, [a-\n")
    rc, _, err = run([upswrap, conf, "echo", "hi"])
    assert rc == 99 and ("%s:3" % broken).encode() in err, err


def test_decisions_logged_with_caller_uid(workdir):
    require_root()
    upswrap, conf, p = tree(workdir)
    env = dict(os.environ, SUDO_UID="4242", PATH="/usr/bin:/bin")
    r = subprocess.run([upswrap, conf, "marker"], capture_output=True, env=env)
    assert r.returncode == 0
    assert b"uid=4242 allowed: marker (filter match = marker at " in r.stderr
    r = subprocess.run([upswrap, conf, "rm", "-rf", "/x"], capture_output=True, env=env)
    assert r.returncode == 99
    assert b"uid=4242 denied: Unauthorized command: rm -rf /x" in r.stderr


def test_run_as_user_and_clean_environment(workdir, run_user):
    require_root()
    name, uid, gid = run_user
    root = str(workdir)
    conf = make_tree(root, {"u.filters":
                            "[Filters]\nid: CommandFilter, /usr/bin/id, %s\n"
                            "env: EnvFilter, env, root, FOO=, /usr/bin/env\n" % name})
    upswrap = install_upswrap(root)
    env = {"PATH": "/tmp/evil:/usr/bin:/bin", "LD_PRELOAD": "/tmp/x.so", "LANG": "C.UTF-8",
           "SECRET": "s", "IFS": "x"}
    r = subprocess.run([upswrap, conf, "id"], capture_output=True, env=env, text=True)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "uid=%d(" % uid in out and "gid=%d(" % gid in out, out
    assert "groups=0" not in out and "(root)" not in out, out
    r = subprocess.run([upswrap, conf, "env", "FOO=bar", "env"], capture_output=True, env=env,
                       text=True)
    assert r.returncode == 0, r.stderr
    lines = set(r.stdout.splitlines())
    assert "FOO=bar" in lines and "LANG=C.UTF-8" in lines
    assert not any(l.startswith(("LD_PRELOAD=", "SECRET=", "IFS=")) for l in lines), lines
    assert "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" in lines


def test_rlimit_nofile_and_no_inherited_fds(workdir):
    require_root()
    root = str(workdir)
    conf = make_tree(root, {"s.filters": "[Filters]\nsh: RegExpFilter, /bin/sh, root, sh, -c, "
                                         "ulimit -n; ls /proc/self/fd\n"},
                     conf_extra="rlimit_nofile=77\n")
    upswrap = install_upswrap(root)
    r = subprocess.run([upswrap, conf, "sh", "-c", "ulimit -n; ls /proc/self/fd"],
                       capture_output=True, text=True, pass_fds=(), close_fds=False,
                       preexec_fn=lambda: os.dup2(2, 9))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert lines[0] == "77", r.stdout
    assert "9" not in lines[1:], "fd 9 leaked into the command: %s" % r.stdout


def test_closed_standard_fds_are_reopened(workdir):
    """Started with stdout closed, the command's fd 1 is /dev/null, not a
    file upswrap (or the command, as root) opened."""
    require_root()
    root = str(workdir)
    conf = make_tree(root, {"s.filters": "[Filters]\nsh: RegExpFilter, /bin/sh, root, sh, -c, "
                                         "x=.*\n"})
    upswrap = install_upswrap(root)
    r = subprocess.run(["/bin/sh", "-c", 'exec "$0" "$1" sh -c "x=\\$(readlink /proc/\\$\\$/fd/1); echo \\$x >&2" >&-',
                        upswrap, conf], stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert r.returncode == 0, r.stderr
    assert r.stderr.decode().splitlines()[-1] == "/dev/null", r.stderr
