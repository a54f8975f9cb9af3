#!/usr/bin/env python3
"""Side-by-side qtest round trips: the floor (a C server that answers without doing any work), QEMU 7.2
and ./vnvdimm, driven by the same minimal C client over a unix socket, in one run, with the ratios.

Modes (see bench/qtest/qtest-client.c):
  lockstep   outl 0x80 0, one at a time
  dsm        DSM Get Label Data 4076 B: b64write + outl 0xa18 + b64read, one at a time (rate: calls/s)
  dsm-set    DSM Set Label Data 4076 B, durable on vnvdimm before its answer (rate: calls/s)
  pipelined  outl 0x80 0, 100 per write

And the filesystem's floor for a durable label write (bench/qtest/label-flush-floor.c: memcpy + msync
of the touched page on the same filesystem), and the no-work server made to do that on each DSM call (the floor for durable
Set Label Data under the same round trips), against vnvdimm's durable Set Label Data (and, for scale,
the same calls on a share=off backend, never flushed).

usage: bench/qtest_roundtrip.py [--rounds N] [--count N] [--dir DIR]
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.join(ROOT, "bench", "qtest")
QEMU = shutil.which("qemu-system-x86_64")
MODES = ["lockstep", "dsm", "dsm-set", "pipelined"]
LABEL_SIZE = 128 << 10
BACKEND = 130 << 20


def build(out):
    cc = os.environ.get("CC", "cc")
    for name in ["qtest-client", "qtest-noop-server", "label-flush-floor"]:
        subprocess.run([cc, "-O2", "-o", os.path.join(out, name), os.path.join(HERE, name + ".c")], check=True)


def wait_for(path, process):
    for _ in range(600):
        if os.path.exists(path):
            return
        if process.poll() is not None:
            sys.exit(f"the server exited ({process.returncode}) before listening on {path}")
        time.sleep(0.01)
    sys.exit(f"nothing listens on {path}")


def machine_args(sock, image, share="on"):
    return ["-qtest", f"unix:{sock},server=on,wait=off", "-qtest-log", "/dev/null", "-display", "none", "-nodefaults", "-S",
            "-machine", "pc,nvdimm=on", "-m", "256M,slots=2,maxmem=4G",
            "-object", f"memory-backend-file,id=m0,share={share},mem-path={image},size={BACKEND}",
            "-device", f"nvdimm,id=nv0,memdev=m0,label-size={LABEL_SIZE}"]


def measure(tools, command, sock, counts, modes=MODES):
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(sock, process)
        rates = {}
        for mode in modes:
            out = subprocess.run([os.path.join(tools, "qtest-client"), sock, mode, str(counts[mode])],
                                 check=True, capture_output=True, text=True).stdout.split()
            rates[mode] = float(out[3])
        return rates
    finally:
        process.terminate()
        process.wait()
        if os.path.exists(sock):
            os.unlink(sock)


def durable_turns(tools, work, count, turns=4):
    """(floor, vnvdimm) durable Set Label Data rates, calls/s, each pair measured back to back (floor, vnvdimm, floor)."""
    servers, socks = [], {}
    try:
        for name in ["floor", "vnvdimm"]:
            sock, image = os.path.join(work, f"{name}-durable.sock"), os.path.join(work, f"{name}-durable.img")
            command = ([os.path.join(tools, "qtest-noop-server"), sock, image, str(BACKEND), str(BACKEND - LABEL_SIZE)] if name == "floor"
                       else [os.path.join(ROOT, "vnvdimm")] + machine_args(sock, image))
            servers.append(subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_for(sock, servers[-1])
            socks[name] = sock

        def rate(name):
            out = subprocess.run([os.path.join(tools, "qtest-client"), socks[name], "dsm-set", str(count)],
                                 check=True, capture_output=True, text=True).stdout.split()
            return float(out[3])
        rate("floor"), rate("vnvdimm")  # both labels' pages allocated before the turns
        pairs = []
        for _ in range(turns):
            before, mine, after = rate("floor"), rate("vnvdimm"), rate("floor")
            pairs.append(((before + after) / 2, mine))
        return pairs
    finally:
        for process in servers:
            process.terminate()
            process.wait()
        for name in ["floor", "vnvdimm"]:
            for suffix in [".sock", ".img"]:
                path = os.path.join(work, f"{name}-durable{suffix}")
                if os.path.exists(path):
                    os.unlink(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=20000, help="lockstep commands per round (others scaled)")
    parser.add_argument("--dir", default=None, help="where the backing files go (their filesystem is measured)")
    a = parser.parse_args()
    if QEMU is None:
        sys.exit("qemu-system-x86_64 is not installed")
    counts = {"lockstep": a.count, "dsm": a.count // 4, "dsm-set": a.count // 20, "pipelined": a.count * 10}
    work = tempfile.mkdtemp(prefix="qtest-bench-", dir=a.dir)
    tools = os.path.join(work, "tools")
    os.mkdir(tools)
    build(tools)
    subprocess.run([os.path.join(ROOT, "vnvdimm"), "-version"], check=True, stdout=subprocess.DEVNULL)  # build first
    results = {"floor": [], "QEMU": [], "vnvdimm": []}
    flush, private, durable_pairs = [], [], []
    try:
        for r in range(a.rounds):
            sock = os.path.join(work, "q.sock")
            results["floor"].append(measure(tools, [os.path.join(tools, "qtest-noop-server"), sock], sock, counts))
            for name, program in [("QEMU", QEMU), ("vnvdimm", os.path.join(ROOT, "vnvdimm"))]:
                image = os.path.join(work, f"{name}.img")
                results[name].append(measure(tools, [program] + machine_args(sock, image), sock, counts))
                os.unlink(image)
            # The same machine on a private mapping makes no label write durable: the difference is what durability costs.
            image = os.path.join(work, "private.img")
            private.append(measure(tools, [os.path.join(ROOT, "vnvdimm")] + machine_args(sock, image, "off"), sock, counts, ["dsm-set"])["dsm-set"])
            os.unlink(image)
            # The durable floor (the no-work server that also copies and msyncs the label page on each DSM call)
            # and vnvdimm's durable Set Label Data, both running, measured in turns: the disk's speed drifts
            # by a factor of several within seconds, and only runs next to each other compare.
            durable_pairs.extend(durable_turns(tools, work, counts["dsm-set"] // 4))
            out = subprocess.run([os.path.join(tools, "label-flush-floor"), os.path.join(work, "floor.img"), str(BACKEND),
                                  str(BACKEND - LABEL_SIZE), "4076", str(counts["dsm-set"])], check=True, capture_output=True, text=True)
            flush.append(float(out.stdout.split()[3]))
            print(f"round {r + 1}/{a.rounds} done", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med = {name: {m: statistics.median(x[m] for x in rounds) for m in MODES} for name, rounds in results.items()}
    spread = {name: {m: (min(x[m] for x in rounds), max(x[m] for x in rounds)) for m in MODES} for name, rounds in results.items()}
    print(f"per second, median of {a.rounds} rounds (min-max)")
    print(f"| mode | floor (no-work server) | QEMU 7.2 | vnvdimm | vnvdimm/floor | vnvdimm/QEMU | QEMU/floor |")
    print("|---|---|---|---|---|---|---|")
    for m in MODES:
        def cell(n):
            lo, hi = spread[n][m]
            return f"{med[n][m]:,.0f} ({lo:,.0f}-{hi:,.0f})"
        print(f"| {m} | {cell('floor')} | {cell('QEMU')} | {cell('vnvdimm')} | {med['vnvdimm'][m] / med['floor'][m]:.2f} "
              f"| {med['vnvdimm'][m] / med['QEMU'][m]:.2f} | {med['QEMU'][m] / med['floor'][m]:.2f} |")
    floor_us = 1e6 / statistics.median(flush)
    private_us = 1e6 / statistics.median(private)
    durable_floor_us = 1e6 / statistics.median(f for f, _ in durable_pairs)
    durable_us = 1e6 / statistics.median(v for _, v in durable_pairs)
    ratios = sorted(f / v for f, v in durable_pairs)
    print(f"\ndurable Set Label Data (4076 B), per call: the floor (the no-work server copying and msyncing the label page "
          f"before its answer) {durable_floor_us:.1f} us, vnvdimm {durable_us:.1f} us; vnvdimm/floor over {len(ratios)} "
          f"side-by-side turns: median {statistics.median(ratios):.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f}). "
          f"Alone: memcpy + msync (C) {floor_us:.1f} us; vnvdimm on share=off (no flush) {private_us:.1f} us. "
          "QEMU makes no label write durable.")


if __name__ == "__main__":
    main()
