#!/usr/bin/env python3
"""Side-by-side live-migration benchmark: QEMU->QEMU and vnvdimm->vnvdimm in one run.

The machine has one NVDIMM of --size-mib (default 4096) with a 128 KiB label area, its backing
file holding all zeros (sparse), random bytes, or half random. Each migration goes over loopback
TCP, timed from `migrate` until the *destination* reports `completed`. QEMU gets its best chance:
its 128 MiB/s default bandwidth cap is lifted, and it also runs with align=2M (its default file
mapping costs a 2 MiB page fault per touch on the destination here). The loopback floor (raw socket
throughput between two processes) is measured in the same run.

For vnvdimm the destination's copy is durable (msync/libpmem) before `completed`; x-flush-time is
the part of that after the last byte arrived. QEMU does not flush. --dir picks where backing files
live: on a disk, durability costs the disk's write speed; on tmpfs (/dev/shm) it costs nothing.

usage: bench/migration.py [--size-mib N] [--dir PATH] [--runs N]
"""
import argparse, os, shutil, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import Qmp  # noqa: E402
QEMU = shutil.which("qemu-system-x86_64")
# VNVDIMM_BIN: a fixed binary, so that editing the sources during a long run does not rebuild mid-way.
VNVDIMM = os.environ.get("VNVDIMM_BIN") or os.path.join(ROOT, "vnvdimm")
MIB = 1 << 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_file(path, size, content):
    with open(path, "wb") as f:
        f.truncate(size)
        if content == "zero":
            return
        random_bytes = size if content == "random" else size // 2
        block = os.urandom(16 * MIB)
        written = 0
        while written < random_bytes:
            n = min(len(block), random_bytes - written)
            f.write(block[:n] if written % (64 * MIB) else os.urandom(n))
            written += n


def machine_args(path, size, align):
    backend = f"memory-backend-file,id=m0,share=on,mem-path={path},size={size}"
    if align:
        backend += f",align={align}"
    return ["-machine", "pc,nvdimm=on", "-m", f"512M,slots=2,maxmem={size + (2 << 30)}",
            "-object", backend, "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K",
            "-display", "none", "-nodefaults"]


def migrate_once(program, folder, source_file, size, align):
    dest_file = os.path.join(folder, "dst.img")
    if os.path.exists(dest_file):
        os.unlink(dest_file)
    port = free_port()
    sq, dq = os.path.join(folder, "s.qmp"), os.path.join(folder, "d.qmp")
    for p in (sq, dq):
        if os.path.exists(p):
            os.unlink(p)
    extra = ["-S"] if program == QEMU else []
    dst = subprocess.Popen([program] + machine_args(dest_file, size, align) + extra +
                           ["-qmp", f"unix:{dq},server=on,wait=off", "-incoming", f"tcp:127.0.0.1:{port}"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    src = subprocess.Popen([program] + machine_args(source_file, size, align) + extra +
                           ["-qmp", f"unix:{sq},server=on,wait=off"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        s, d = Qmp(sq), Qmp(dq)
        s.execute("migrate-set-parameters", **{"max-bandwidth": 100 << 30})
        start = time.perf_counter()
        s.execute("migrate", uri=f"tcp:127.0.0.1:{port}")
        while True:
            info = d.execute("query-migrate")
            if info.get("status") in ("completed", "failed"):
                break
            time.sleep(0.005)
        elapsed = time.perf_counter() - start
        if info["status"] != "completed":
            sys.exit(f"{program}: destination says {info}")
        return elapsed, info.get("x-flush-time")
    finally:
        for p in (src, dst):
            p.kill()
            p.wait()


def loopback_floor(size):
    """Raw TCP throughput between two processes over loopback, bytes per second."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    sender = subprocess.Popen([sys.executable, "-c", f"""
import socket
s = socket.create_connection(("127.0.0.1", {port}))
block = memoryview(bytearray({MIB}))
for _ in range({size // MIB}):
    s.sendall(block)
s.close()
"""])
    conn, _ = listener.accept()
    buffer = bytearray(MIB)
    view = memoryview(buffer)
    received = 0
    start = time.perf_counter()
    while True:
        n = conn.recv_into(view)
        if n == 0:
            break
        received += n
    elapsed = time.perf_counter() - start
    sender.wait()
    return received / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=4096)
    parser.add_argument("--dir", default=None)
    parser.add_argument("--runs", type=int, default=1)
    options = parser.parse_args()
    if QEMU is None:
        sys.exit("qemu-system-x86_64 not found: apt-get install qemu-system-x86")
    subprocess.run([VNVDIMM, "-version"], check=True, stdout=subprocess.DEVNULL)
    size = options.size_mib * MIB

    floor = loopback_floor(size)
    print(f"loopback floor: {floor / MIB:.0f} MiB/s ({size / floor:.2f} s for {options.size_mib} MiB)")
    print(f"{'content':<8}{'machine':<22}{'time (s)':>10}{'MiB/s':>10}{'of floor':>10}{'flush (ms)':>12}")
    with tempfile.TemporaryDirectory(prefix="vnvdimm-mig-", dir=options.dir) as folder:
        source = os.path.join(folder, "src.img")
        for content in ("zero", "random", "half"):
            make_file(source, size, content)
            results = {}
            for label, program, align in [("QEMU", QEMU, None), ("QEMU align=2M", QEMU, "2M"), ("vnvdimm", VNVDIMM, None)]:
                samples = [migrate_once(program, folder, source, size, align) for _ in range(options.runs)]
                t = statistics.median(s[0] for s in samples)
                flush = samples[-1][1]
                results[label] = t
                rate = size / t / MIB
                print(f"{content:<8}{label:<22}{t:>10.2f}{rate:>10.0f}{rate * MIB / floor:>10.0%}{(flush if flush is not None else '-'):>12}")
            best_qemu = min(results["QEMU"], results["QEMU align=2M"])
            print(f"{content:<8}{'vnvdimm / best QEMU':<22}{results['vnvdimm'] / best_qemu:>10.2f}")


if __name__ == "__main__":
    main()
