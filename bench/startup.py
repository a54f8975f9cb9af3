#!/usr/bin/env python3
"""Side-by-side start-up benchmark: QEMU and ./vnvdimm with the same NVDIMM command line.

For each machine and configuration, starts the emulator as a qtest target on stdio, measures
the time until the first qtest answer and reads the peak RSS (VmHWM) at that point; several
runs, medians, and the ratio vnvdimm/QEMU. Backing files are sparse and made in a scratch folder.

usage: bench/startup.py [--runs N]
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QEMU = shutil.which("qemu-system-x86_64")
VNVDIMM = os.path.join(ROOT, "vnvdimm")
QTEST = ["-qtest", "stdio", "-qtest-log", "/dev/null", "-display", "none", "-nodefaults", "-S"]
G = 1 << 30


def config(folder, count, size):
    args = ["-machine", "pc,nvdimm=on", "-m", f"2G,slots={count},maxmem={2 * G + count * size}"]
    for i in range(count):
        path = os.path.join(folder, f"nv{i}.img")
        with open(path, "wb") as f:
            f.truncate(size)
        args += ["-object", f"memory-backend-file,id=m{i},share=on,mem-path={path},size={size}",
                 "-device", f"nvdimm,id=nv{i},memdev=m{i},label-size=128K"]
    return args


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def one_run(program, args):
    start = time.perf_counter()
    p = subprocess.Popen([program] + QTEST + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    p.stdin.write("endianness\n")
    p.stdin.flush()
    answer = p.stdout.readline()
    elapsed = time.perf_counter() - start
    rss = peak_rss_kib(p.pid)
    p.kill()
    p.wait()
    if not answer.startswith("OK"):
        sys.exit(f"{program}: no qtest answer ({answer!r})")
    return elapsed, rss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    if QEMU is None:
        sys.exit("qemu-system-x86_64 not found: apt-get install qemu-system-x86")
    # Build once so that the first timed run is not a build.
    subprocess.run([VNVDIMM, "-version"], check=True, stdout=subprocess.DEVNULL)

    print(f"{'configuration':<22}{'machine':<10}{'start (ms)':>12}{'peak RSS (MiB)':>16}")
    with tempfile.TemporaryDirectory(prefix="vnvdimm-bench-") as folder:
        for name, count, size in [("1 x 1 GiB", 1, G), ("8 x 64 GiB (sparse)", 8, 64 * G)]:
            sub = os.path.join(folder, name.split()[0])
            os.makedirs(sub)
            args = config(sub, count, size)
            medians = {}
            for label, program in [("QEMU", QEMU), ("vnvdimm", VNVDIMM)]:
                samples = [one_run(program, args) for _ in range(runs)]
                t = statistics.median(s[0] for s in samples) * 1000
                r = statistics.median(s[1] for s in samples) / 1024
                medians[label] = (t, r)
                print(f"{name:<22}{label:<10}{t:>12.1f}{r:>16.1f}")
            (qt, qr), (vt, vr) = medians["QEMU"], medians["vnvdimm"]
            print(f"{name:<22}{'ratio':<10}{vt / qt:>12.2f}{vr / qr:>16.2f}   (vnvdimm / QEMU, median of {runs})")


if __name__ == "__main__":
    main()
