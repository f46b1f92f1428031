#!/usr/bin/python3
"""Per-call cost of upswrap against Debian's oslo-rootwrap, side by side.

Both wrappers get the same rootwrap.conf and the same filter files (a
realistic set: the shutdown filters plus 40 CommandFilter/RegExpFilter
lines) and run the same allowed command, /bin/true, and the same refused
one.  Calls alternate between the two so that machine load hits both
alike.  Reports the median and mean wall time per call, the CPU time per
call (children's user+sys), and the ratio.  Run as root (the chain of
trust must be root-owned):

    sudo bench/upswrap-bench.py [BUILD_DIR] [CALLS]
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "build")
CALLS = int(sys.argv[2]) if len(sys.argv) > 2 else 200
OSLO = "/usr/bin/oslo-rootwrap"
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
_NULL = os.open(os.devnull, os.O_RDWR)
DEVNULL_FDS = [(os.POSIX_SPAWN_DUP2, _NULL, fd) for fd in (0, 1, 2)]


def tree(root):
    fdir = os.path.join(root, "rootwrap.d")
    os.makedirs(fdir)
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conf", "rootwrap.d",
                       "shutdown.filters")
    shutil.copy(src, os.path.join(fdir, "shutdown.filters"))
    lines = ["[Filters]"]
    for i in range(20):
        lines.append("cmd%d: CommandFilter, /usr/bin/tool%d, root" % (i, i))
        lines.append("re%d: RegExpFilter, /usr/bin/tool%d, root, tool%d, -[a-z]+, [0-9]{1}"
                     % (i, i, i))
    # a run-as user other than root: the static upswrap hands these to upswrap-nss
    lines.append("true_nobody: RegExpFilter, /bin/true, nobody, true, --nobody")
    lines.append("true: CommandFilter, /bin/true, root")
    with open(os.path.join(fdir, "bench.filters"), "w") as f:
        f.write("\n".join(lines) + "\n")
    conf = os.path.join(root, "rootwrap.conf")
    with open(conf, "w") as f:
        f.write("[DEFAULT]\nfilters_path=%s\nexec_dirs=/sbin,/usr/sbin,/bin,/usr/bin\n"
                "use_syslog=False\n" % fdir)
    bindir = os.path.join(root, "bin")
    os.makedirs(bindir)
    for name in ("upswrap", "upswrap-nss"):  # the twin takes calls that need NSS
        shutil.copy2(os.path.join(BUILD, "src", "upswrap", name), os.path.join(bindir, name))
    return conf, os.path.join(bindir, "upswrap")


# The cheapest possible wrapper: no configuration, no checks, just execv of
# the command.  Any wrapper that runs the command as a second program costs
# at least this, so oslo/floor is the highest ratio reachable on the machine.
FLOOR_C = r"""
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	char path[4096];
	if (argc < 3)
		return 98;
	snprintf(path, sizeof(path), "/bin/%s", argv[2]);
	execv(path, argv + 2);
	return 96;
}
"""


def floor_wrapper(root, static):
    """The exec-only wrapper, linked like upswrap (static) or like a usual
    program (dynamic)."""
    src = os.path.join(root, "floor.c")
    out = os.path.join(root, "bin", "exec-only-static" if static else "exec-only")
    with open(src, "w") as f:
        f.write(FLOOR_C)
    subprocess.run(["cc", "-O2"] + (["-static-pie"] if static else []) + ["-o", out, src],
                   check=True)
    return out


def one(argv):
    """One call: wall time and the child's CPU time.  posix_spawn (vfork and
    exec in glibc) and wait4 keep the harness's own cost per call near zero:
    subprocess.run added about 0.2 ms to every call, which narrowed every
    ratio towards 1."""
    t = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, ENV, file_actions=DEVNULL_FDS)
    _, _, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t
    return wall, ru.ru_utime + ru.ru_stime


def measure(label, runs):
    walls = {k: [] for k in runs}
    cpus = {k: [] for k in runs}
    for _ in range(CALLS):
        for k, argv in runs.items():
            w, c = one(argv)
            walls[k].append(w)
            cpus[k].append(c)
    print("\n%s (%d calls each, alternating)" % (label, CALLS))
    print("  %-32s %10s %10s %10s" % ("", "median ms", "mean ms", "cpu ms"))
    for k in runs:
        print("  %-32s %10.2f %10.2f %10.2f" % (k, 1000 * statistics.median(walls[k]),
                                               1000 * statistics.mean(walls[k]),
                                               1000 * statistics.mean(cpus[k])))
    return {k: statistics.median(v) for k, v in walls.items()}, \
        {k: statistics.mean(v) for k, v in cpus.items()}


def main():
    if os.geteuid() != 0:
        sys.exit("run as root: the chain of trust must be root-owned")
    root = tempfile.mkdtemp(prefix="upswrap-bench-")
    os.chmod(root, 0o755)
    try:
        conf, upswrap = tree(root)
        floor, floor_dyn = floor_wrapper(root, True), floor_wrapper(root, False)
        print("load average: %.2f %.2f %.2f" % os.getloadavg())
        med, cpu = measure("allowed: wrapper CONF true", {
            "/bin/true (no wrapper)": ["/bin/true"],
            "exec-only wrapper (floor)": [floor, conf, "true"],
            "exec-only wrapper, dynamic": [floor_dyn, conf, "true"],
            "upswrap": [upswrap, conf, "true"],
            "oslo-rootwrap": [OSLO, conf, "true"]})
        med3, cpu3 = measure("allowed, run as nobody: wrapper CONF true --nobody", {
            "upswrap (hands to upswrap-nss)": [upswrap, conf, "true", "--nobody"],
            "oslo-rootwrap": [OSLO, conf, "true", "--nobody"]})
        med2, cpu2 = measure("refused: wrapper CONF rm -rf /x", {
            "upswrap": [upswrap, conf, "rm", "-rf", "/x"],
            "oslo-rootwrap": [OSLO, conf, "rm", "-rf", "/x"]})
        print("\nratio oslo/upswrap: allowed %.1fx wall, %.1fx cpu; refused %.1fx wall, "
              "%.1fx cpu" % (med["oslo-rootwrap"] / med["upswrap"],
                            cpu["oslo-rootwrap"] / max(cpu["upswrap"], 1e-6),
                            med2["oslo-rootwrap"] / med2["upswrap"],
                            cpu2["oslo-rootwrap"] / max(cpu2["upswrap"], 1e-6)))
        print("run as nobody (through upswrap-nss): %.1fx wall, %.1fx cpu" % (
            med3["oslo-rootwrap"] / med3["upswrap (hands to upswrap-nss)"],
            cpu3["oslo-rootwrap"] / max(cpu3["upswrap (hands to upswrap-nss)"], 1e-6)))
        print("highest ratio any exec-based wrapper reaches here (oslo/exec-only): "
              "%.1fx wall, %.1fx cpu" % (
                  med["oslo-rootwrap"] / med["exec-only wrapper (floor)"],
                  cpu["oslo-rootwrap"] / max(cpu["exec-only wrapper (floor)"], 1e-6)))
        print("wrapper overhead over /bin/true alone: upswrap %.2f ms, oslo %.2f ms" % (
            1000 * (med["upswrap"] - med["/bin/true (no wrapper)"]),
            1000 * (med["oslo-rootwrap"] - med["/bin/true (no wrapper)"])))
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
