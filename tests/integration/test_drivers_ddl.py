"""Interop with real NUT: our dummy-ups behind NUT 2.8.0's upsd shows the
same data as NUT's own dummy-ups for every device dump of the shared DDL
set (driver.* aside), seen with NUT's upsc and with raw LIST/GET requests.

All files run at once: one NUT upsd serves 2 x N drivers."""
import glob
import os
import subprocess

import pytest

from conftest import DDL_DIR
from drivers_helpers import Mixed, Session

DDL_FILES = sorted(glob.glob(os.path.join(DDL_DIR, "*.dev")))


def upsc(port, ups):
    r = subprocess.run(["/usr/bin/upsc", "%s@127.0.0.1:%d" % (ups, port)], capture_output=True,
                       timeout=20)
    assert r.returncode == 0, r.stderr
    # bytes: values may hold anything NUT lets through
    return [l for l in r.stdout.decode("latin-1").splitlines() if not l.startswith("driver.")]


def strip_ups(lines, ups):
    """Protocol lines without the UPS name word, so two UPSes compare."""
    return [l.replace(" %s " % ups, " <ups> ", 1) for l in lines]


def metadata(sess, ups):
    """LIST RW, LIST CMD (driver.* aside), and GET TYPE / LIST ENUM /
    LIST RANGE of every variable."""
    out = {}
    out["rw"] = strip_ups([l for l in sess.list_("RW %s" % ups) if " driver." not in l], ups)
    out["cmd"] = strip_ups([l for l in sess.list_("CMD %s" % ups) if " driver." not in l], ups)
    names = [l.split(" ", 3)[2] for l in sess.list_("VAR %s" % ups)]
    for n in names:
        if n.startswith("driver."):
            continue
        t = sess.request("GET TYPE %s %s" % (ups, n))
        out["type " + n] = t.replace(" %s " % ups, " <ups> ", 1)
        if "ENUM" in t:
            out["enum " + n] = strip_ups(sess.list_("ENUM %s %s" % (ups, n)), ups)
        if "RANGE" in t:
            out["range " + n] = strip_ups(sess.list_("RANGE %s %s" % (ups, n)), ups)
    return out


@pytest.fixture
def mixed(procs, workdir):
    assert len(DDL_FILES) >= 1, "no .dev files in %s" % DDL_DIR
    nut, ours = {}, {}
    for i, f in enumerate(DDL_FILES):
        nut["n%d" % i] = {"driver": "dummy-ups", "port": os.path.basename(f)}
        ours["o%d" % i] = {"driver": "dummy-ups", "port": os.path.basename(f)}
    m = Mixed(procs, workdir, nut, ours)
    for f in DDL_FILES:
        m.copy(f)
    return m.start()


def test_ddl_upsc_equal(mixed):
    diffs = []
    for i, f in enumerate(DDL_FILES):
        a = upsc(mixed.port, "n%d" % i)
        b = upsc(mixed.port, "o%d" % i)
        assert len(a) > 3, (f, a)
        if a != b:
            only_nut = [l for l in a if l not in b]
            only_ours = [l for l in b if l not in a]
            diffs.append("%s:\n  NUT only: %r\n  ours only: %r" % (
                os.path.basename(f), only_nut[:8], only_ours[:8]))
    assert not diffs, "\n".join(diffs)


def test_ddl_metadata_equal(mixed):
    sess = Session(mixed.port)
    diffs = []
    try:
        for i, f in enumerate(DDL_FILES):
            a = metadata(sess, "n%d" % i)
            b = metadata(sess, "o%d" % i)
            for k in sorted(set(a) | set(b)):
                va, vb = a.get(k), b.get(k)
                if va != vb:
                    if isinstance(va, list) and isinstance(vb, list):
                        va = [l for l in va if l not in vb]
                        vb = [l for l in b.get(k) if l not in a.get(k)]
                    diffs.append("%s %s: NUT %r ours %r" % (os.path.basename(f), k, va, vb))
    finally:
        sess.close()
    assert not diffs, "\n".join(diffs[:40])
