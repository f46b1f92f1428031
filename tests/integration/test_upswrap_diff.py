"""Differential tests: upswrap against Debian's python3-oslo.rootwrap.

Every case is one command line run through both wrappers with the same
rootwrap.conf and filter files; the exit code must be the same (allowed
commands really run: /bin/true, /bin/echo, printenv, id, cat, kill -0 on
processes the test starts, ip read-only commands), and so must the output
of an allowed command (same executable, same arguments, same environment
assignments).  The cases are generated: filter sets x command lines,
including tricky regular expressions, '..' and symbolic links, kill signals
and targets, env assignments and ip netns aliases.

Cases where upswrap is deliberately stricter live in
test_upswrap_deviations.py.
"""
import itertools
import os
import shutil
import subprocess
import time

import pytest

from upswrap_helpers import (install_upswrap, make_tree, OsloServer, require_root, run, OSLO,
                             write)

SLEEP = "/usr/bin/sleep"


class Spawn:
    """A placeholder for the PID of a fresh target process started from
    `exe` (a new one for each wrapper, since some signals kill it)."""

    def __init__(self, exe):
        self.exe = exe


# ---------------------------------------------------------------- the sets

def set_command(root):
    filters = {"command.filters": """\
# CommandFilter checks only the executable
[Filters]
true: CommandFilter, /bin/true, root
false: CommandFilter, false, root
echo: CommandFilter, /bin/echo, root
missing: CommandFilter, /nonexistent/tool, root
missing2: CommandFilter, nosuchtool-upswrap, root
id: CommandFilter, /usr/bin/id, nobody
Multi_Line: CommandFilter,
    /usr/bin/printenv,

    root
"""}
    cmds = [["true"], ["/bin/true"], ["/usr/bin/true"], ["false"], ["false", "x", "y"],
            ["/bin/false"], ["echo", "hello", "world"], ["echo"], ["/bin/echo", "a b"],
            ["echo", "-n", "x"], ["echo", "--", "-e"], ["nosuchtool-upswrap"], ["tool"],
            ["/nonexistent/tool"], ["id", "-u"], ["id", "-un"], ["rm", "-rf", "/tmp/x"],
            [""], ["TRUE"], ["true "], ["./true"], ["bin/true"], ["printenv", "LANG"],
            ["printenv", "NOPE"], ["sh", "-c", "id"], ["/usr/bin/id", "-u"],
            ["echo", "a\nb"], ["echo", "\u00e9t\u00e9"], ["true;id"], ["true", "&&", "id"]]
    return filters, cmds, {}


REGEXPS = [
    ("alt", r"a|b"),
    ("digits", r"[0-9]+"),
    ("d", r"\d+"),
    ("signed", r"-?\d+"),
    ("any", r".*"),
    ("group", r"(foo|bar)baz"),
    ("rep", r"x{2}"),
    ("repopen", r"x{2}y?"),
    ("posixish", r"[[:alpha:]]+"),
    ("word", r"\w+"),
    ("noslash", r"[^/]+"),
    ("disk", r"/dev/sd[a-z]"),
    ("icase", r"(?i)abc"),
    ("verbose", r"(?x) a b  # spaces and a comment"),
    ("conf", r".+\.conf"),
    ("named", r"(?P<n>ab)(?P=n)"),
    ("backref", r"(ab)\1"),
    ("hex", r"\x41+"),
    ("uni", "\u00e9+"),
    ("range", "[\u00e0-\u00ef]+"),
    ("esc_u", r"\u00e9t\u00e9"),
    ("caret", r"^abc"),
    ("dot", r"a.c"),
    ("dotall", r"(?s)a.c"),
    ("dots", r"\.\."),
    ("lazy", r"a+?"),
    ("class_dash", r"[a-]+"),
    ("class_bracket", r"[]a]+"),
    ("brace_lit", r"a{"),
    ("brace_lit2", r"a{1,x}"),
    ("empty", r""),
    ("opt", r"ab?c"),
    ("uuid", r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    ("ipv4", r"(\d+\.){3}\d+"),
    ("path_under", r"/var/lib/upsguard/[^/]+"),
    ("lookahead", r"(?!root)\w+"),
    ("atomic", r"(?>a+)b"),
    ("scoped", r"(?i:ab)c"),
    ("space", r"\s*x\s*"),
    ("nonword", r"\W+"),
    ("endz", r"abc\Z"),
    ("octal", r"\101"),
    ("cond", r"(a)?(?(1)b|c)"),
    ("multi", r"(?m)a$"),
    ("star_class", r"[*+?]+"),
    ("dollar_mid", r"a$b"),
    ("backslash_end", "a\\\\"),
    # plain words take upswrap's literal path (no PCRE2): '$' semantics too
    ("lit", r"now"),
    ("lit_punct", r"-h=1;@x #~"),
]

REGEXP_ARGS = ["a", "b", "axyz", "bxyz", "", "123", "-5", "12a", "foobaz", "barbaz",
               "xx", "xxxx", "x", "abc", "ABC", "aBc", "abc\n", "a\nc", "a:b", "a]",
               "/dev/sda", "/dev/sda1", "/dev/../etc/shadow", "x.conf", "abab", "AAA",
               "\u00e9\u00e9", "\u00e9t\u00e9", "a.c", "..", "root", "rooted", "ab",
               "aab", "c", "bc", " x ", "\t", "a{", "a{1,x}", "-", "[a]", "*?", "a\\",
               "/var/lib/upsguard/x", "/var/lib/upsguard/../x", "1.2.3.4",
               "12345678-1234-1234-1234-123456789abc", "\u0663",
               "now", "now\n", "now\n\n", "NOW", "nowx", " now", "-h=1;@x #~", "-h=1;@x #~\n"]
LITERAL_ARGS = {"now", "now\n", "now\n\n", "NOW", "nowx", " now", "-h=1;@x #~",
                "-h=1;@x #~\n"}

BAD_REGEXPS = [r"[a-", r"(", r"a{3,1}", r"\q", r"*a", r"a**", r"(?<n>a)", r"\N{DASH}",
               r"(?L)a", r"a)", r"[z-a]", r"(?P=nope)", r"\2(a)", r"(?#open"]


def set_regexp(root):
    lines = ["[Filters]"]
    for name, pat in REGEXPS:
        lines.append("re_%s: RegExpFilter, /bin/echo, root, %s, %s" % (name, name, pat))
    lines.append("cmdre: RegExpFilter, /bin/echo, root, ec.o, x")
    lines.append("two: RegExpFilter, /bin/echo, root, two, a, b+")
    filters = {"regexp.filters": "\n".join(lines) + "\n"}
    cmds = []
    # each pattern against a spread of arguments (stride keeps it bounded)
    for i, (name, _) in enumerate(REGEXPS):
        for j, arg in enumerate(REGEXP_ARGS):
            if (i + j) % 7 == 0 or arg in ("", "abc", "a", "abc\n") or \
                    (name.startswith("lit") and arg in LITERAL_ARGS):
                cmds.append([name, arg])
    cmds += [["ecXo", "x"], ["echo", "x"], ["eco", "x"], ["ecXo", "y"], ["two", "a", "bbb"],
             ["two", "a"], ["two", "a", "b", "c"], ["two", "A", "b"], ["alt"],
             ["alt", "a", "a"]]
    return filters, cmds, {}


def set_bad_regexp(root):
    filters = {"bad%02d.filters" % i: "[Filters]\nbad: RegExpFilter, /bin/echo, root, bad, %s\n"
               % pat for i, pat in enumerate(BAD_REGEXPS)}
    filters["good.filters"] = "[Filters]\ngood: RegExpFilter, /bin/echo, root, good, .*\n"
    cmds = [["bad", a] for a in ("a", "", "(", "[a-", "aaa", "DASH", "n")]
    cmds += [["good", "x"], ["good", "bad"]]
    return filters, cmds, {}


def set_path(root):
    a = os.path.join(root, "data", "allowed")
    o = os.path.join(root, "data", "other")
    os.makedirs(os.path.join(a, "sub"), exist_ok=True)
    os.makedirs(o, exist_ok=True)
    for p in (os.path.join(a, "a.txt"), os.path.join(o, "x")):
        write(p, "x\n")
    for link, target in ((os.path.join(a, "link_out"), os.path.join(o, "x")),
                         (os.path.join(a, "link_in"), os.path.join(a, "sub")),
                         (os.path.join(o, "link_in"), os.path.join(a, "a.txt")),
                         (os.path.join(a, "rel_out"), "../other/x"),
                         (os.path.join(a, "loop"), os.path.join(a, "loop"))):
        if not os.path.lexists(link):
            os.symlink(target, link)
    filters = {"path.filters": """\
[Filters]
pf: PathFilter, /bin/echo, root, %(a)s
pf2: PathFilter, /usr/bin/printf, root, pass, %(a)s
pf3: PathFilter, /usr/bin/ls, root, -d, %(a)s
""" % {"a": a}}
    paths = [a, a + "/", a + "/a.txt", a + "/../other/x", a + "/sub/../a.txt", a + "/link_out",
             a + "/link_in", a + "/link_in/../a.txt", o + "/link_in", a + "/nonexistent",
             a + "/nonexistent/../../other", a + "/rel_out", a + "/loop", a + "/loop/x",
             a + "//a.txt", a + "/./sub", o, "/", "", "data/allowed/a.txt", "data/other/x",
             "allowed", a + "/sub/../../allowed/a.txt", a + "/a.txt/../../other/x",
             a + "/.." + a]
    cmds = []
    for p in paths:
        cmds.append(["echo", p])
        cmds.append(["ls", "-d", p])
    cmds += [["printf", "%s\\n", a + "/a.txt"], ["printf", "anything", a + "/../other"],
             ["ls", "-l", a], ["echo"], ["echo", a, a], ["/bin/echo", a], ["ls", a]]
    return filters, cmds, {"cwd": root}


def set_kill(root):
    bindir = os.path.join(root, "bin")
    os.makedirs(bindir, exist_ok=True)
    mysleep = os.path.join(bindir, "mysleep")
    if not os.path.exists(mysleep):
        shutil.copy2(SLEEP, mysleep)
    filters = {"kill.filters": """\
[Filters]
k1: KillFilter, root, /usr/bin/sleep, -0, -CONT
k2: KillFilter, root, sleep
k3: KillFilter, root, %(my)s, -URG, -WINCH
k4: KillFilter, root, /usr/bin/yes, -9
k5: KillFilter, root, mysleep, -0
""" % {"my": mysleep}}
    s, m = Spawn(SLEEP), Spawn(mysleep)
    cmds = [["kill", "-0", s], ["kill", "-CONT", s], ["kill", "-9", s], ["kill", s],
            ["kill", "-0", m], ["kill", "-URG", m], ["kill", "-WINCH", m], ["kill", "-9", m],
            ["kill", m], ["kill", "-0", "999999999"], ["kill", "-0", "abc"], ["kill", "-0", ""],
            ["kill", "-0", s, "extra"], ["kill"], ["/bin/kill", "-0", s], ["kill", "-SIGCONT", s],
            ["kill", "-cont", s], ["kill", "-0", "1"], ["kill", "-URG", s], ["kill", "0"],
            ["kill", "-0", "-1"], ["kill", "-0", str(os.getpid())]]
    return filters, cmds, {}


def set_env(root):
    filters = {"env.filters": """\
[Filters]
en1: EnvFilter, env, root, CONFIG=, NETID=, /usr/bin/printenv
en2: EnvFilter, /usr/bin/printenv, root, FOO=
pe: CommandFilter, printenv, root
"""}
    cmds = [["env", "CONFIG=a", "NETID=b", "printenv", "CONFIG"],
            ["CONFIG=a", "NETID=b", "printenv", "NETID"],
            ["env", "NETID=b", "CONFIG=a", "printenv", "CONFIG"],
            ["env", "CONFIG=a", "printenv"], ["env", "CONFIG=a", "printenv", "CONFIG"],
            ["env", "CONFIG=a", "NETID=b", "EXTRA=c", "printenv", "EXTRA"],
            ["env", "CONFIG=a", "NETID=b", "/usr/bin/printenv", "CONFIG"],
            ["env", "CONFIG=a", "NETID=b", "/tmp/printenv", "CONFIG"],
            ["env", "CONFIG=", "NETID=b", "printenv", "CONFIG"],
            ["env", "CONFIG=a", "CONFIG=b", "NETID=c", "printenv", "CONFIG"],
            ["env", "CONFIG=x=y", "NETID=b", "printenv", "CONFIG"],
            ["FOO=1", "printenv", "FOO"], ["FOO=1", "printenv", "BAR"],
            ["env", "FOO=1", "printenv", "FOO"], ["env", "FOO=1", "FOO=2", "printenv", "FOO"],
            ["FOO=1", "BAR=2", "printenv", "FOO"], ["env", "printenv", "LANG"],
            ["printenv", "LANG"], ["=x", "printenv"], ["env", "env", "FOO=1", "printenv", "FOO"],
            ["env", "FOO=1", "sh", "-c", "id"], ["env", "PATH=/tmp", "printenv", "PATH"],
            ["env", "CONFIG=a", "NETID=b", "printenv", "NETID", "CONFIG"]]
    return filters, cmds, {}


def set_ip(root):
    filters = {"ip.filters": """\
[Filters]
ip: IpFilter, ip, root
ipnetns: IpNetnsExecFilter, ip, root
true: CommandFilter, /bin/true, root
echo: RegExpFilter, /bin/echo, root, echo, hi
ipnobody: IpNetnsExecFilter, ip, nobody
"""}
    ns = "upswrap-no-such-ns"
    cmds = [["ip", "-V"], ["ip", "netns", "list"], ["ip", "addr", "show", "dev", "lo"],
            ["ip", "link", "show", "lo"]]
    for netns, ex in itertools.product(["netns", "net", "netn", "n", "ne", "nets"],
                                       ["exec", "e", "ex", "exe", "exec2", "x"]):
        cmds.append(["ip", netns, ex, ns, "true"])
    cmds += [["ip", "netns", "exec", ns, "sh"], ["ip", "netns", "exec", ns, "/tmp/x/true"],
             ["ip", "netns", "exec", ns, "echo", "hi"], ["ip", "netns", "exec", ns, "echo", "ho"],
             ["ip", "netns", "exec", ns], ["ip", "-all", "netns", "exec", "true"],
             ["ip", "-n", ns, "link"], ["ip", "link", "set", "dev", "net", "netns", "exec"],
             ["ip", "netns", "add", ns + "x", "extra"], ["ip", "netns", "exec", ns, "ip",
                                                          "netns", "exec", ns, "true"],
             ["/sbin/ip", "-V"], ["ip"], ["ip", "netns"], ["ip", "-br", "link", "show", "lo"]]
    return filters, cmds, {}


def set_chain(root):
    filters = {"chain.filters": """\
[Filters]
nice: ChainingRegExpFilter, nice, root, nice, -n, -?\\d+
nice_nobody: ChainingRegExpFilter, /usr/bin/nice, nobody, nicer, .*
true: CommandFilter, /bin/true, root
echo: RegExpFilter, /bin/echo, root, echo, hi
idn: CommandFilter, /usr/bin/id, nobody
"""}
    cmds = [["nice", "-n", "5", "true"], ["nice", "-n", "-5", "echo", "hi"],
            ["nice", "-n", "5", "echo", "bye"], ["nice", "-n", "x", "true"], ["nice", "-n", "5"],
            ["nice", "-n", "5", "/usr/bin/true"], ["nice", "-n", "5", "nice", "-n", "3", "true"],
            ["nice", "-n5", "true"], ["nice", "true"], ["nicer", "x", "id", "-u"],
            ["nicer", "x", "true"], ["nice", "-n", "5", "id", "-u"], ["nice", "-n", "05", "true"],
            ["nice", "-n", "5\n", "true"]]
    return filters, cmds, {}


def set_readfile(root):
    data = write(os.path.join(root, "data.txt"), "secret-ish\n")
    write(os.path.join(root, "other.txt"), "other\n")
    filters = {"read.filters": "[Filters]\nrf: ReadFileFilter, %s\n" % data}
    cmds = [["cat", data], ["cat", os.path.join(root, "other.txt")], ["cat", data, "extra"],
            ["/bin/cat", data], ["cat"], ["cat", os.path.join(root, ".", "data.txt")],
            ["cat", data + "/"]]
    return filters, cmds, {}


def set_parsing(root):
    """configparser details: [DEFAULT] items, continuation lines, comments,
    repeated keys, case of keys, unknown classes, several files."""
    filters = {
        "a.filters": """\
# comment
; also a comment
[DEFAULT]
fromdefault: CommandFilter, /usr/bin/id, root

[Filters]
  Echo = CommandFilter, /bin/echo, root
dup: CommandFilter, /bin/false, root
dup: CommandFilter, /bin/true, root
unknown: NoSuchFilter, /bin/sh, root
cont: RegExpFilter, /usr/bin/printf, root, printf,
   [a-z]+
eq=CommandFilter, /usr/bin/uname, root
""",
        "b.filters": "[Filters]\nsleepy: RegExpFilter, /usr/bin/sleep, root, sleep, 0(\\.0+)?\n",
        ".hidden.filters": "[Filters]\nhidden: CommandFilter, /usr/bin/whoami, root\n",
        "notes.txt": "[Filters]\nnotes: CommandFilter, /usr/bin/hostname, root\n",
        "other.filters": "[Other]\nother: CommandFilter, /usr/bin/tty, root\n[Filters]\n",
    }
    cmds = [["id", "-u"], ["echo", "x"], ["false"], ["true"], ["dup"], ["sh", "-c", "id"],
            ["printf", "abc"], ["printf", "ABC"], ["printf"], ["uname"], ["sleep", "0"],
            ["sleep", "0.00"], ["sleep", "1"], ["whoami"], ["hostname"], ["tty"]]
    return filters, cmds, {}


def set_no_exec_dirs(root):
    """exec_dirs absent: oslo searches the caller's PATH."""
    filters = {"p.filters": "[Filters]\ntrue: CommandFilter, true, root\n"
                            "echo: CommandFilter, echo, root\n"
                            "gone: CommandFilter, gone-upswrap, root\n"}
    cmds = [["true"], ["echo", "p"], ["gone-upswrap"], ["/bin/true"]]
    return filters, cmds, {"exec_dirs": None}


def set_dirs(root):
    """Two filters_path directories, one of them missing, one relative."""
    extra = os.path.join(root, "etc", "more.d")
    write(os.path.join(extra, "m.filters"), "[Filters]\nm: CommandFilter, /usr/bin/whoami, root\n")
    fp = "%s,%s,%s" % (os.path.join(root, "etc", "rootwrap.d"), extra,
                       os.path.join(root, "etc", "absent.d"))
    filters = {"r.filters": "[Filters]\nr: CommandFilter, /bin/true, root\n"}
    cmds = [["whoami"], ["true"], ["id"]]
    return filters, cmds, {"filters_path": fp}


SETS = {
    "command": set_command,
    "regexp": set_regexp,
    "bad_regexp": set_bad_regexp,
    "path": set_path,
    "kill": set_kill,
    "env": set_env,
    "ip": set_ip,
    "chain": set_chain,
    "readfile": set_readfile,
    "parsing": set_parsing,
    "no_exec_dirs": set_no_exec_dirs,
    "dirs": set_dirs,
}


# ------------------------------------------------------------- the harness

def _materialize(cmd, procs):
    out = []
    for w in cmd:
        if isinstance(w, Spawn):
            p = subprocess.Popen([w.exe, "60"], stdin=subprocess.DEVNULL)
            procs.append(p)
            # wait until the exec happened (/proc/PID/exe is the target)
            for _ in range(200):
                try:
                    if os.readlink("/proc/%d/exe" % p.pid) == w.exe:
                        break
                except OSError:
                    pass
                time.sleep(0.005)
            out.append(str(p.pid))
        else:
            out.append(w)
    return out


def _run_all(upswrap, conf, cmds, cwd, warm):
    server = OsloServer()
    results = []
    try:
        for c in cmds:
            procs = []
            try:
                ours = run([upswrap, conf] + _materialize(c, procs), cwd=cwd)
                theirs = server.run(conf, _materialize(c, procs), cwd=cwd, warm=warm)
                warm = ()
            finally:
                for p in procs:
                    if p.poll() is None:
                        p.kill()
                    p.wait()
            results.append((c, ours, theirs))
    finally:
        server.close()
    return results


def warm_fields(filters):
    """Every field of every filter line: the oslo server compiles them once
    (pattern + '$'), so that its forked children find them in re's cache."""
    import configparser
    fields = []
    for text in filters.values():
        cp = configparser.RawConfigParser(strict=False)
        try:
            cp.read_string(text)
            items = cp.items("Filters")
        except (configparser.Error, KeyError):
            continue
        for _, value in items:
            fields += [f.strip() for f in value.split(",")]
    return fields


def _printable(cmd):
    return [w.exe if isinstance(w, Spawn) else w for w in cmd]


def run_set(root, name):
    filters, cmds, opts = SETS[name](str(root))
    kw = {}
    if "exec_dirs" in opts:
        kw["exec_dirs"] = opts["exec_dirs"]
    if "filters_path" in opts:
        kw["filters_path"] = opts["filters_path"]
    conf = make_tree(str(root), filters, **kw)
    upswrap = install_upswrap(str(root))
    cwd = opts.get("cwd")
    results = _run_all(upswrap, conf, cmds, cwd, warm_fields(filters))
    mismatches = []
    for cmd, ours, theirs in results:
        assert b"Traceback" not in theirs[2], \
            "oslo crashed on %r (not a valid differential case): %s" % (cmd, theirs[2][-300:])
        same = ours[0] == theirs[0]
        if same and ours[0] not in (96, 97, 98, 99) and not any(isinstance(w, Spawn) for w in cmd):
            same = ours[1] == theirs[1]
        if not same:
            mismatches.append("%r: upswrap rc=%d out=%r err=%r | oslo rc=%d out=%r err=%r" % (
                _printable(cmd), ours[0], ours[1][:200], ours[2][-300:], theirs[0],
                theirs[1][:200], theirs[2][-300:]))
    return len(results), results, mismatches


CASES_RUN = {}


@pytest.mark.parametrize("name", list(SETS))
def test_same_decisions_as_oslo(workdir, name):
    require_root()
    n, results, mismatches = run_set(workdir, name)
    CASES_RUN[name] = n
    assert not mismatches, "%d of %d cases differ:\n%s" % (len(mismatches), n,
                                                          "\n".join(mismatches))
    # the set must exercise both outcomes, or it proves little
    rcs = {r[1][0] for r in results}
    assert 0 in rcs and 99 in rcs or name in ("bad_regexp",), \
        "set %s never both allowed and refused: %s" % (name, sorted(rcs))


def test_at_least_300_cases(workdir):
    total = 0
    for name, fn in SETS.items():
        root = os.path.join(str(workdir), name)
        os.makedirs(root, exist_ok=True)
        total += len(fn(root)[1])
    assert total >= 300, "only %d differential cases" % total


def test_inproc_oslo_is_the_real_oslo(workdir):
    """The forked oslo_rootwrap.cmd.main() gives what /usr/bin/oslo-rootwrap gives."""
    require_root()
    filters, cmds, _ = set_command(str(workdir))
    conf = make_tree(str(workdir), filters)
    server = OsloServer()
    try:
        for cmd in cmds[:12]:
            assert server.run(conf, cmd)[:2] == run([OSLO, conf] + cmd)[:2], cmd
    finally:
        server.close()


def test_no_command_and_bad_configs(workdir):
    """Exit codes 98 (no command) and 97 (bad configuration) agree."""
    require_root()
    root = str(workdir)
    upswrap = install_upswrap(root)
    good = make_tree(root, {"t.filters": "[Filters]\nt: CommandFilter, /bin/true, root\n"})
    assert run([upswrap])[0] == run([OSLO])[0] == 98
    assert run([upswrap, good])[0] == run([OSLO, good])[0] == 98
    fdir = os.path.join(root, "etc", "rootwrap.d")
    bad = {
        "nofp": "[DEFAULT]\nexec_dirs=/bin\n",
        "syslogbool": "[DEFAULT]\nfilters_path=%s\nuse_syslog=maybe\n" % fdir,
        "rlimit": "[DEFAULT]\nfilters_path=%s\nrlimit_nofile=lots\n" % fdir,
        "level": "[DEFAULT]\nfilters_path=%s\nuse_syslog=true\nsyslog_log_level=LOUD\n" % fdir,
        "facility": "[DEFAULT]\nfilters_path=%s\nsyslog_log_facility=nowhere\n" % fdir,
        "nosection": "filters_path=%s\n" % fdir,
        "dupopt": "[DEFAULT]\nfilters_path=%s\nfilters_path=%s\n" % (fdir, fdir),
        "dupsect": "[DEFAULT]\nfilters_path=%s\n[x]\na=1\n[x]\nb=2\n" % fdir,
        "garbage": "[DEFAULT]\nfilters_path=%s\nthis line has no delimiter\n" % fdir,
        "timeout": "[DEFAULT]\nfilters_path=%s\ndaemon_timeout=soon\n" % fdir,
    }
    for name, text in bad.items():
        conf = write(os.path.join(root, "etc", name + ".conf"), text)
        ours, theirs = run([upswrap, conf, "true"]), run([OSLO, conf, "true"])
        assert ours[0] == theirs[0] == 97, (name, ours, theirs)
    okish = {
        "syslog_ok": "[DEFAULT]\nfilters_path=%s\nuse_syslog=yes\nsyslog_log_facility=local0\n"
                     "syslog_log_level=info\n" % fdir,
        "upper": "[DEFAULT]\nFILTERS_PATH=%s\nuse_syslog=OFF\nrlimit_nofile=2_048\n" % fdir,
        "other_sect": "[DEFAULT]\nfilters_path=%s\n[misc]\nfoo=bar\n" % fdir,
    }
    for name, text in okish.items():
        conf = write(os.path.join(root, "etc", name + ".conf"), text)
        ours, theirs = run([upswrap, conf, "true"]), run([OSLO, conf, "true"])
        assert ours[0] == theirs[0] == 0, (name, ours, theirs)
    missing = os.path.join(root, "etc", "nonexistent.conf")
    assert run([upswrap, missing, "true"])[0] == run([OSLO, missing, "true"])[0] == 97
