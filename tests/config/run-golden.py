#!/usr/bin/env python3
"""Golden tests of the config parsers, run by `meson test --suite config`.

Layout: tests/config/<type>/ where <type> is the file's NUT name
(ups.conf, upsd.conf, ...).  In each:
  <name>.N.in  -> <name>.N.ok    canonical print (stdout, exit 0)
                  <name>.N.warn  warnings (stderr); absent means none
  bad-*.in     -> bad-*.err      every message (stderr, exit 1, no stdout)
Every good file is also printed, re-parsed and printed again: the two
prints must be identical.
The sample configs conf/<type>.sample must parse with exit 0 and no message.

usage: run-golden.py CONF_PRINT TESTS_DIR SAMPLES_DIR [--update]
"""
import os
import subprocess
import sys
import tempfile

TYPES = ["ups.conf", "upsd.conf", "upsd.users", "upsmon.conf", "upssched.conf", "hosts.conf"]


def run(conf_print, ftype, path, cwd):
    p = subprocess.run([conf_print, ftype, path], cwd=cwd, capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode("ascii", "replace"), p.stderr.decode("ascii", "replace")


def read(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="ascii", errors="replace") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="ascii") as f:
        f.write(text)


class Runner:
    def __init__(self, conf_print, update):
        self.conf_print = conf_print
        self.update = update
        self.failures = []
        self.count = 0

    def fail(self, name, why, got=None, want=None):
        msg = f"FAIL {name}: {why}"
        if got is not None:
            msg += f"\n--- expected\n{want}--- got\n{got}"
        self.failures.append(msg)

    def expect(self, name, path, got):
        want = read(path)
        if self.update:
            if got:
                write(path, got)
            elif os.path.exists(path):
                os.unlink(path)
            return
        if (want or "") != got:
            self.fail(name, f"output differs from {os.path.basename(path)}", got, want or "")

    def good(self, d, ftype, fname):
        name = f"{ftype}/{fname}"
        base = fname[:-3]
        rc, out, err = run(self.conf_print, ftype, fname, d)
        self.count += 1
        if rc != 0:
            self.fail(name, f"exit {rc}, stderr:\n{err}")
            return
        self.expect(name, os.path.join(d, base + ".ok"), out)
        self.expect(name + " (warnings)", os.path.join(d, base + ".warn"), err)
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as t:
            t.write(out)
        try:
            rc2, out2, err2 = run(self.conf_print, ftype, t.name, d)
        finally:
            os.unlink(t.name)
        if rc2 != 0 or out2 != out:
            self.fail(name, "print -> parse -> print is not the identity", out2 + err2, out)

    def bad(self, d, ftype, fname):
        name = f"{ftype}/{fname}"
        rc, out, err = run(self.conf_print, ftype, fname, d)
        self.count += 1
        if rc != 1:
            self.fail(name, f"exit {rc}, expected 1")
        if out:
            self.fail(name, "printed a result for a broken file:\n" + out)
        if not err:
            self.fail(name, "no message for a broken file")
        self.expect(name, os.path.join(d, fname[:-3] + ".err"), err)

    def sample(self, samples, ftype):
        path = os.path.join(samples, ftype + ".sample")
        name = f"conf/{ftype}.sample"
        if not os.path.exists(path):
            self.fail(name, "missing")
            return
        rc, out, err = run(self.conf_print, ftype, path, samples)
        self.count += 1
        if rc != 0 or err:
            self.fail(name, f"exit {rc}, messages:\n{err}")


def main():
    args = [a for a in sys.argv[1:] if a != "--update"]
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    conf_print, tests, samples = [os.path.abspath(a) for a in args]
    r = Runner(os.path.abspath(conf_print), "--update" in sys.argv)
    for ftype in TYPES:
        d = os.path.join(tests, ftype)
        files = sorted(os.listdir(d)) if os.path.isdir(d) else []
        good = [f for f in files if f.endswith(".in") and not f.startswith("bad-")]
        bad = [f for f in files if f.endswith(".in") and f.startswith("bad-")]
        if not good or not bad:
            r.fail(ftype, "needs at least one good and one bad golden file")
        for f in good:
            r.good(d, ftype, f)
        for f in bad:
            r.bad(d, ftype, f)
        r.sample(samples, ftype)
    for f in r.failures:
        print(f)
    print(f"{r.count} golden checks, {len(r.failures)} failed")
    return 1 if r.failures or r.count == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
