"""A small, warm Python process that runs oslo_rootwrap.cmd.main() (the
code behind /usr/bin/oslo-rootwrap) in a forked child per request, so the
differential tests do not pay Python's start-up for every case.  Forking
this small process is cheap; forking pytest is not.

Protocol: one JSON object per line on stdin, {"conf", "cmd", "cwd", "env",
"warm"}; one JSON reply per line on stdout, {"rc", "out", "err"} with
base64 output.  "warm" lists patterns to compile first (re's cache is
inherited by the children)."""
import base64
import gc
import json
import os
import re
import sys
import tempfile
import traceback
import warnings

import oslo_rootwrap.cmd as oslo_cmd

OSLO = "/usr/bin/oslo-rootwrap"


def child(req, out, err):
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        if req.get("cwd"):
            os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        sys.stdin = open(0, "r", closefd=False)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        sys.argv = [OSLO, req["conf"]] + req["cmd"]
        try:
            oslo_cmd.main()
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def serve(req):
    for pat in req.get("warm", []):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                re.match(pat + "$", "")
        except re.error:
            pass
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            child(req, out, err)
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        return {"rc": os.waitstatus_to_exitcode(status),
                "out": base64.b64encode(out.read()).decode(),
                "err": base64.b64encode(err.read()).decode()}


def main():
    real_out = sys.stdout
    for line in sys.stdin:
        reply = serve(json.loads(line))
        real_out.write(json.dumps(reply) + "\n")
        real_out.flush()


if __name__ == "__main__":
    main()
