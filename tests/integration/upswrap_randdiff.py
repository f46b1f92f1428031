"""Random differential of upswrap against Debian's oslo-rootwrap, run by
hand (not collected by pytest: it runs as long as asked):

    sudo UPSGUARD_BUILD=build /usr/bin/python3 tests/integration/upswrap_randdiff.py SECONDS [SEED]

Generates one filter file at a time (several files would compare file
order, where upswrap deliberately sorts and oslo takes directory order)
with valid Python regular expressions (an invalid one is a deliberate
difference too), unusual spacing, continuation lines, unknown classes and
missing users, and runs twenty commands of harmless programs (echo, printf,
true, false, cat of its own files, env) through both.  Exit codes must be
equal, and the output of allowed commands too, except for env, whose
output shows the environment upswrap cleans.  Prints each mismatch with
its filter file."""
import os
import random
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ.setdefault("UPSGUARD_BUILD", os.path.join(HERE, "..", "..", "build"))
from upswrap_helpers import OsloServer, install_upswrap, make_tree, run  # noqa: E402

EXES = ["/bin/echo", "echo", "/usr/bin/printf", "printf", "/bin/true", "true", "/bin/false",
        "/nonexistent/echo", "nothere", "/usr/bin/env", "env"]
RUNAS = ["root", "root", "root", "nobody", "no-such-user-zz"]
REGEX = ["a", "b", "a|b", "[a-z]+", "[0-9]+", "-[a-z]+", "[0-9]{1}", ".*", "x?", "(foo|bar)",
         "\\d+", "\\w+", "fo+", "[^a]", "a{2,3}", "^a", "a$", "(?i)A", "é", "[é-ú]+", "\\s*",
         "a\\|b", "(?P<x>a)", "[[:alpha:]]", "\\-x", "--[a-z]+=.*"]
WORDS = ["a", "b", "ab", "aa", "aaa", "foo", "bar", "1", "42", "-x", "-xy", "--y=1", "", " ",
         "é", "x", "A", "a\n", "fooo", "echo", "true", "printf", "%s", "hello world"]
SP = ["", " ", "  ", "\t", "\u00a0"]
CLASSES = ["CommandFilter", "RegExpFilter", "PathFilter", "EnvFilter", "ChainingRegExpFilter",
           "ReadFileFilter", "CommandFilter", "RegExpFilter", "Bogus", "commandfilter"]


def field(s):
    return random.choice(SP) + s + random.choice(SP)


def filter_line(i, tmp):
    cls = random.choice(CLASSES)
    name = random.choice(["f%d" % i, "F%d" % i, "f%d" % max(0, i - 1)])
    if cls == "ReadFileFilter":
        args = [os.path.join(tmp, random.choice(["r1", "r2"]))]
    elif cls == "PathFilter":
        args = [random.choice(EXES), random.choice(RUNAS)] + [
            random.choice(["pass", tmp, tmp + "/sub", "/etc"]) for _ in range(random.randint(0, 2))]
    elif cls == "EnvFilter":
        args = [random.choice(["env", "/usr/bin/env"]), random.choice(RUNAS)] + \
            random.sample(["A=", "B=", "C=x"], random.randint(0, 2)) + [random.choice(["echo", "printf"])]
    else:
        args = [random.choice(EXES), random.choice(RUNAS)] + [
            random.choice(REGEX) for _ in range(random.randint(0, 3))]
    sep = random.choice([":", "=", " :", " = "])
    text = "%s%s%s" % (name, sep, ",".join(field(x) for x in [cls] + args))
    if random.random() < 0.1:
        text = text.replace(",", ",\n   ", 1)  # continuation line
    return text


def filters(tmp):
    out = {}
    for k in range(1):
        lines = ["[Filters]"]
        if random.random() < 0.1:
            lines.insert(0, "[DEFAULT]\nd%d: CommandFilter, /bin/true, root" % k)
        for i in range(random.randint(1, 6)):
            lines.append(filter_line(i, tmp))
            if random.random() < 0.1:
                lines.append(random.choice(["# comment", "; c", "", "  "]))
        out["%c.filters" % "abc"[k]] = "\n".join(lines) + "\n"
    return out


def command():
    n = random.randint(1, 4)
    c = [random.choice(["echo", "/bin/echo", "printf", "true", "env", "cat", "A=1", "nothere"])]
    c += [random.choice(WORDS) for _ in range(n - 1)]
    return c


def main(seconds):
    random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else None)
    end = time.time() + seconds
    cases = mism = 0
    server = OsloServer()
    try:
        while time.time() < end:
            root = tempfile.mkdtemp(prefix="upswrap-randdiff-")
            os.chmod(root, 0o755)
            for r in ("r1", "r2"):
                with open(os.path.join(root, r), "w") as f:
                    f.write("data %s\n" % r)
            fl = filters(root)
            conf = make_tree(root, fl, exec_dirs="/bin,/usr/bin")
            up = install_upswrap(root)
            for _ in range(20):
                cmd = command()
                if cmd[0] == "cat":
                    cmd = ["cat", os.path.join(root, random.choice(["r1", "r2"]))]
                ours = run([up, conf] + cmd)
                theirs = server.run(conf, cmd)
                cases += 1
                if b"Traceback" in theirs[2]:
                    continue  # oslo crashed: not a comparable case
                same = ours[0] == theirs[0]
                if same and ours[0] not in (96, 97, 98, 99) and cmd[0] not in ("env", "A=1"):
                    same = ours[1] == theirs[1]
                if not same:
                    mism += 1
                    print("MISMATCH", repr(cmd), "ours", ours[0], ours[1][:80], ours[2][-200:],
                          "oslo", theirs[0], theirs[1][:80], theirs[2][-200:])
                    for n, t in fl.items():
                        print("  ---", n, repr(t))
            shutil.rmtree(root)
    finally:
        server.close()
    print("cases", cases, "mismatches", mism)
    return 1 if mism else 0


if __name__ == "__main__":
    if os.geteuid() != 0 or len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(float(sys.argv[1])))
