#!/usr/bin/env python3
"""Side-by-side hotplug benchmark: QEMU and ./vnvdimm driven by the same QMP client in one run.

Each machine starts with one NVDIMM and 16 slots as a stopped qtest target, with QMP on a Unix
socket. The client times, per machine, 10 hotplugs (object-add of a 1 GiB sparse file backend
plus device_add nvdimm with a 128 KiB label area, each waited for) and then query-memory-devices;
several runs, medians, and the ratio vnvdimm/QEMU.

usage: bench/hotplug.py [--runs N] [--hotplugs N]
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import Qmp  # noqa: E402
QEMU = shutil.which("qemu-system-x86_64")
VNVDIMM = os.path.join(ROOT, "vnvdimm")
QTEST = ["-qtest", "stdio", "-qtest-log", "/dev/null", "-display", "none", "-nodefaults", "-S"]
G = 1 << 30


def one_run(program, folder, hotplugs):
    sock = os.path.join(folder, "qmp.sock")
    for name in os.listdir(folder):
        os.unlink(os.path.join(folder, name))
    base = os.path.join(folder, "nv0.img")
    with open(base, "wb") as f:
        f.truncate(G)
    args = ["-machine", "pc,nvdimm=on", "-m", f"2G,slots=16,maxmem={2 * G + 16 * G}",
            "-object", f"memory-backend-file,id=m0,share=on,mem-path={base},size={G}",
            "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K",
            "-qmp", f"unix:{sock},server=on,wait=off"]
    p = subprocess.Popen([program] + QTEST + args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        qmp = Qmp(sock)
        start = time.perf_counter()
        for i in range(1, hotplugs + 1):
            qmp.execute("object-add", **{"qom-type": "memory-backend-file", "id": f"m{i}", "share": True,
                                         "mem-path": os.path.join(folder, f"nv{i}.img"), "size": G})
            qmp.execute("device_add", driver="nvdimm", id=f"nv{i}", memdev=f"m{i}", **{"label-size": 131072})
        plugged = time.perf_counter()
        devices = qmp.execute("query-memory-devices")
        queried = time.perf_counter()
        if len(devices) != hotplugs + 1:
            sys.exit(f"{program}: {len(devices)} memory devices after {hotplugs} hotplugs")
        return (plugged - start) / hotplugs, queried - plugged
    finally:
        p.kill()
        p.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--hotplugs", type=int, default=10)
    options = parser.parse_args()
    if QEMU is None:
        sys.exit("qemu-system-x86_64 not found: apt-get install qemu-system-x86")
    subprocess.run([VNVDIMM, "-version"], check=True, stdout=subprocess.DEVNULL)  # build first

    print(f"{'machine':<10}{'per hotplug (ms)':>18}{'query-memory-devices (ms)':>28}")
    medians = {}
    with tempfile.TemporaryDirectory(prefix="vnvdimm-bench-") as folder:
        # Interleaved runs, so that both machines see the same host conditions.
        samples = {"QEMU": [], "vnvdimm": []}
        for _ in range(options.runs):
            for label, program in [("QEMU", QEMU), ("vnvdimm", VNVDIMM)]:
                samples[label].append(one_run(program, folder, options.hotplugs))
        for label in ("QEMU", "vnvdimm"):
            h = statistics.median(s[0] for s in samples[label]) * 1000
            q = statistics.median(s[1] for s in samples[label]) * 1000
            medians[label] = (h, q)
            print(f"{label:<10}{h:>18.3f}{q:>28.3f}")
    (qh, qq), (vh, vq) = medians["QEMU"], medians["vnvdimm"]
    print(f"{'ratio':<10}{vh / qh:>18.2f}{vq / qq:>28.2f}   (vnvdimm / QEMU, median of {options.runs} runs of {options.hotplugs} hotplugs)")


if __name__ == "__main__":
    main()
