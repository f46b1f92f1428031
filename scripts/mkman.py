#!/usr/bin/env python3
"""Build a man page from its template: @HELP@ becomes the program's own
-h output (so the options and the sandbox manifest in the page are always
the ones the program has), @VERSION@ the project version."""
import subprocess
import sys


def roff_escape(text):
    out = []
    for line in text.splitlines():
        line = line.replace("\\", "\\e")
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def main(template, output, version, program=None):
    with open(template) as f:
        page = f.read()
    if program:
        r = subprocess.run([program, "-h"], capture_output=True, text=True, timeout=30,
                           env={"PATH": "/usr/bin:/bin", "NUT_CONFPATH": "/nonexistent"})
        helptext = (r.stdout + r.stderr).strip()
        page = page.replace("@HELP@", ".nf\n.ft CR\n" + roff_escape(helptext) + "\n.ft R\n.fi")
    page = page.replace("@VERSION@", version)
    with open(output, "w") as f:
        f.write(page)


if __name__ == "__main__":
    main(*sys.argv[1:])
