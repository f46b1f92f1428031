"""The NUT peer fixture itself: NUT's upsd serves a DDL dump via dummy-ups."""
import os
import subprocess

from conftest import DDL_DIR
from nut_peer import NUT_UPSC, NutPeer


def test_nut_serves_a_ddl_dump(procs, workdir):
    dev = os.path.join(DDL_DIR, "Eaton__5PX_2000__usbhid-ups__2.7.4__01.dev")
    nut = NutPeer(procs, workdir, {"eaton": (dev, "Eaton 5PX")}).start()
    out = subprocess.run([NUT_UPSC, nut.addr("eaton"), "device.model"], capture_output=True,
                         text=True, timeout=10)
    assert out.stdout.strip() == "Eaton 5PX 2000", out.stderr
