#!/usr/bin/env python3
"""Count results over every build directory given: meson's testlog.json and
pytest's JUnit XML.  Prints one line 'N passed, N failed, N skipped' and
exits 1 when something failed or nothing ran at all."""
import json
import os
import sys
import xml.etree.ElementTree as ET


def count_meson(path, totals):
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line).get("result")
            if r in ("OK", "EXPECTEDFAIL"):
                totals["passed"] += 1
            elif r == "SKIP":
                totals["skipped"] += 1
            else:
                totals["failed"] += 1


def count_junit(path, totals):
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        tags = {child.tag for child in case}
        if "failure" in tags or "error" in tags:
            totals["failed"] += 1
        elif "skipped" in tags:
            totals["skipped"] += 1
        else:
            totals["passed"] += 1


def main(dirs):
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    for d in dirs:
        log = os.path.join(d, "meson-logs", "testlog.json")
        if os.path.exists(log):
            count_meson(log, totals)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if name.startswith("pytest") and name.endswith(".xml"):
                count_junit(os.path.join(d, name), totals)
    print("%d passed, %d failed, %d skipped" % (totals["passed"], totals["failed"], totals["skipped"]))
    return 1 if totals["failed"] or not totals["passed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
