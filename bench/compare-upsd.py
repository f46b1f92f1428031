#!/usr/bin/python3
"""Run NUT 2.8.0's upsd and ours side by side on the same driver data (NUT's
dummy-ups serving a DDL dump) and print throughput, server CPU per request
(from /proc/PID/stat) and the ratios, in one run.

    sudo bench/compare-upsd.py [--build build] [--secs 5] [--rounds 4] [--only get,list,...]

Needs root (NUT's daemons run with -u root; ours drops to the upsguard
user).  Not a test: never run from meson test or pytest.
"""
import argparse
import os
import pwd
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DDL = os.path.join(os.path.dirname(REPO), "shared", "data", "ddl",
                   "Eaton__5PX_2000__usbhid-ups__2.7.4__01.dev")
TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TCK


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("port %d not answering" % port)


def wait_data(port, ups, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET VAR %s device.model\n" % ups.encode())
                if s.recv(200).startswith(b"VAR"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("no data on port %d" % port)


class Servers:
    def __init__(self, build):
        self.dir = tempfile.mkdtemp(prefix="upsguard-bench-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.procs = []
        nut = os.path.join(self.dir, "nut")
        ours = os.path.join(self.dir, "ours")
        for d in (nut, ours):
            os.makedirs(d)
            os.chmod(d, 0o755)
        shutil.copy(DDL, os.path.join(nut, "ups.dev"))
        ups_conf = "[dummy]\n  driver = dummy-ups\n  port = %s/ups.dev\n" % nut
        self.nut_port, self.our_port = free_port(), free_port()
        for d in (nut, ours):
            with open(os.path.join(d, "ups.conf"), "w") as f:
                f.write(ups_conf)
            with open(os.path.join(d, "upsd.users"), "w") as f:
                f.write("[admin]\n  password = secret\n  actions = SET\n")
            os.chmod(os.path.join(d, "upsd.users"), 0o640)
        os.chown(os.path.join(ours, "upsd.users"), 0, pwd.getpwnam("upsguard").pw_gid)
        with open(os.path.join(nut, "upsd.conf"), "w") as f:
            f.write("LISTEN 127.0.0.1 %d\nMAXCONN 19500\n" % self.nut_port)
        with open(os.path.join(ours, "upsd.conf"), "w") as f:
            f.write("LISTEN 127.0.0.1 %d\nMAXCONN 19500\nANONYMOUS_READ any\n"
                    "CLIENT_TIMEOUT 600\n" % self.our_port)
        env_nut = dict(os.environ, NUT_CONFPATH=nut, NUT_STATEPATH=nut)
        env_ours = dict(os.environ, NUT_CONFPATH=ours, NUT_STATEPATH=nut)
        self.start(["/lib/nut/dummy-ups", "-a", "dummy", "-F", "-u", "root"], env_nut)
        sock = os.path.join(nut, "dummy-ups-dummy")
        end = time.time() + 10
        while not os.path.exists(sock) and time.time() < end:
            time.sleep(0.05)
        pw = pwd.getpwnam("upsguard")
        os.chown(sock, pw.pw_uid, pw.pw_gid)
        try:
            # Both read the same state directory, where ours writes upsd.pid;
            # NUT's upsd refuses to start beside a live upsd.pid, so it goes first.
            self.nut = self.start(["/lib/nut/upsd", "-F", "-u", "root"], env_nut)
            wait_port(self.nut_port)
            self.ours = self.start([os.path.join(build, "src", "upsd", "upsd"), "-F"], env_ours)
            for port in (self.nut_port, self.our_port):
                wait_port(port)
                wait_data(port, "dummy")
        except RuntimeError:
            for name in os.listdir(self.dir):
                if name.endswith(".log"):
                    print("--- %s\n%s" % (name, open(os.path.join(self.dir, name)).read()))
            self.stop()
            raise

    def start(self, argv, env):
        log = open(os.path.join(self.dir, "%d-%s.log" % (len(self.procs), os.path.basename(argv[0]))), "w")
        p = subprocess.Popen(argv, env=env, stdout=log, stderr=log, start_new_session=True)
        self.procs.append(p)
        return p

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def parse(line):
    return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)


def measure(load, port, pid, args):
    c0 = cpu_seconds(pid)
    out = subprocess.run([load, "-p", str(port)] + args, capture_output=True, text=True,
                         timeout=300)
    c1 = cpu_seconds(pid)
    res = parse(out.stdout.strip().splitlines()[-1])
    res["cpu"] = c1 - c0
    return res


def measure_idle(load, port, pid, n, hold):
    base = rss_kib(pid)
    p = subprocess.Popen([load, "-p", str(port), "-m", "idle", "-c", str(n), "-t", str(hold)],
                         stdout=subprocess.PIPE, text=True)
    first = p.stdout.readline()
    probed = p.stdout.readline()
    time.sleep(1)
    rss = rss_kib(pid)
    last = p.stdout.read().strip().splitlines()[-1]
    p.wait()
    res = parse(last)
    res["kib_per_client"] = (rss - base) / max(1, int(first.split()[1]) if first else 1)
    return res


SCENARIOS = [
    ("get", "GET VAR, 100 connections", ["-m", "get", "-c", "100", "-d", "1"]),
    ("get16", "GET VAR, 100 conns, 16 pipelined", ["-m", "get", "-c", "100", "-d", "16"]),
    ("list", "LIST VAR, 1 connection", ["-m", "list", "-c", "1", "-d", "1"]),
    ("churn", "connect-VER-close churn", ["-m", "churn"]),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--secs", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=4,
                    help="runs per scenario and server, alternating which goes first")
    ap.add_argument("--idle", type=int, default=15000)
    ap.add_argument("--burst", type=int, default=10000)
    ap.add_argument("--only", default="get,get16,list,churn,idle,burst")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (NUT's daemons run with -u root)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    load = os.path.join(a.build, "bench", "upsd-load")
    only = a.only.split(",")
    srv = Servers(a.build)
    try:
        print("%-34s %14s %14s %9s | %10s %10s %7s" % (
            "scenario", "NUT req/s", "ours req/s", "ratio", "NUT us/req", "ours us/req",
            "ratio"))
        for key, title, args in SCENARIOS:
            if key not in only:
                continue
            # Rounds alternate which server goes first, so that a drift of
            # the machine (or running second) does not favour either; the
            # figures are the sums over all rounds.
            total = {"nut": [0.0, 0, 0.0], "ours": [0.0, 0, 0.0]}  # rate sum, requests, cpu
            servers = [("nut", srv.nut_port, srv.nut), ("ours", srv.our_port, srv.ours)]
            for rnd in range(a.rounds):
                for name, port, proc in (servers if rnd % 2 == 0 else servers[::-1]):
                    m = measure(load, port, proc.pid, args + ["-t", str(a.secs)])
                    total[name][0] += float(m["rate"])
                    total[name][1] += int(m["requests"])
                    total[name][2] += m["cpu"]
            rate = {k: v[0] / a.rounds for k, v in total.items()}
            us = {k: v[2] * 1e6 / max(1, v[1]) for k, v in total.items()}
            print("%-34s %14.0f %14.0f %8.2fx | %10.1f %10.1f %6.2fx" % (
                title, rate["nut"], rate["ours"], rate["ours"] / max(rate["nut"], 1e-9),
                us["nut"], us["ours"], us["ours"] / max(us["nut"], 1e-9)))
            sys.stdout.flush()
        if "burst" in only:
            for name, port in (("NUT", srv.nut_port), ("ours", srv.our_port)):
                out = subprocess.run([load, "-p", str(port), "-m", "burst", "-c", str(a.burst)],
                                     capture_output=True, text=True, timeout=120)
                res = parse(out.stdout.strip().splitlines()[-1])
                print("burst of %d connects, %-5s: opened %s, answered %s in %ss" % (
                    a.burst, name, res.get("opened"), res.get("answered"), res.get("seconds")))
                sys.stdout.flush()
                time.sleep(2)
        if "idle" in only:
            for name, port, proc in (("ours", srv.our_port, srv.ours),
                                     ("NUT", srv.nut_port, srv.nut)):
                res = measure_idle(load, port, proc.pid, a.idle, 3)
                print("%d idle clients, %-5s: opened %s, probes answered %s, "
                      "%.2f KiB of server RSS per client" % (
                          a.idle, name, res.get("opened"), res.get("answered"),
                          res["kib_per_client"]))
                sys.stdout.flush()
                time.sleep(2)
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
