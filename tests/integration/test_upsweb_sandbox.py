"""upsweb's least privilege measured from outside: started as root it runs
as the unprivileged user with no capabilities, no_new_privs and seccomp;
through the test hook, it may connect to the upsd port of hosts.conf but
not elsewhere, bind nothing but its port, read no files (its assets are
compiled in, its configuration was read before the sandbox), and exec
nothing."""
import os
import shutil

import pytest

from conftest import free_port
from nut_peer import NutPeer
from sandbox_helpers import (HookServer, assert_allowed, assert_confined, assert_denied,
                             make_open_dir, require_root, standard_forbidden)
from upsweb_helpers import ONLINE, Upsweb, write_seq


@pytest.fixture
def hook():
    d = make_open_dir()
    h = HookServer(d)
    yield h
    h.close()
    shutil.rmtree(d, ignore_errors=True)


def test_upsweb_confined(procs, workdir, hook, run_user):
    require_root()
    seq = os.path.join(str(workdir), "acme.seq")
    write_seq(seq, [(ONLINE, 0)])
    nut = NutPeer(procs, workdir, {"acme": (seq, "Acme")}).start()
    web = Upsweb(procs, workdir, [(nut.addr("acme"), "Rack A")], env=hook.env).start()
    conn = hook.wait("upsweb")
    assert conn.pid == web.proc.pid
    st = assert_confined(web.proc.pid, "upsweb")
    assert st["Uid"].split()[0] == str(run_user[1])
    # Still working inside the sandbox: polls upsd, serves pages.
    web.wait_json("/api/v1/ups", lambda d: d["ups"][0]["reachable"])
    assert web.get("/")[0] == 200
    # The upsd of hosts.conf is reachable, its own port can be bound again
    # only by itself (EADDRINUSE proves Landlock let the call through).
    assert_allowed(conn, "connect 127.0.0.1 %d" % nut.port)
    reply = conn.ask("bind %d" % web.port)
    assert reply in ("ERR EADDRINUSE", "OK") or reply.startswith("OK"), reply
    # No files at all: not even its own configuration after start-up.
    assert_denied(conn, "open %s" % os.path.join(web.dir, "hosts.conf"), ("ERR ENOENT",))
    assert_denied(conn, "open /etc/passwd")
    standard_forbidden(conn, bound_port=web.port, connect_port=nut.port)
