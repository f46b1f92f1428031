#!/usr/bin/env python3
"""Meson install script: build every man page from docs/man/*.N.in with
mkman.py (a program's page embeds its own -h output) and install it into
<mandir>/manN, honouring DESTDIR."""
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkman  # noqa: E402


def find_program(build_root, name):
    for path in glob.glob(os.path.join(build_root, "src", "*", name)):
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def main(build_root, man_src, mandir, version):
    dest = os.environ.get("DESTDIR", "")
    for template in sorted(glob.glob(os.path.join(man_src, "*.in"))):
        page = os.path.basename(template)[:-3]          # upsd.8
        name, section = page.rsplit(".", 1)
        outdir = dest + os.path.join(mandir, "man" + section)
        os.makedirs(outdir, exist_ok=True)
        program = find_program(build_root, name) if section == "8" else None
        if section == "8" and program is None:
            print("install-man: %s is not built; its page is left out" % name)
            continue
        mkman.main(template, os.path.join(outdir, page), version, program)


if __name__ == "__main__":
    main(*sys.argv[1:])
