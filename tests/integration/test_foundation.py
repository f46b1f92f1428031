"""The harness itself: programs are stopped by pid, ports are free."""
import sys

from conftest import free_port, wait_for_port


def test_procs_are_stopped(procs):
    port = free_port()
    p = procs.start([sys.executable, "-c",
                     "import socket,time;s=socket.socket();s.bind(('127.0.0.1',%d));"
                     "s.listen();time.sleep(60)" % port])
    wait_for_port(port)
    assert p.alive()
    procs.stop_all()
    assert not p.alive()
