#!/usr/bin/env python3
"""Side-by-side DSM benchmark: read the whole 128 KiB label area through qtest, from QEMU and
from ./vnvdimm, in one run. Each DSM call is what a guest's _LSR does: write the request page
into guest RAM, write its address to port 0x0a18, read the answer back (b64write, outl, b64read).

Two client styles, both measured on both machines:
- lockstep: one command, wait for its answer, next command (the answer's len is read first);
  every command pays a full pipe round trip, which dominates on both sides.
- pipelined: the 33 calls of a whole-area read sent in one write, each reading the whole
  answer page; this measures what the machine itself costs per call.

usage: bench/dsm_labels.py [--rounds N]
"""
import argparse, base64, os, shutil, statistics, struct, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QEMU = shutil.which("qemu-system-x86_64")
VNVDIMM = os.path.join(ROOT, "vnvdimm")
QTEST = ["-qtest", "stdio", "-qtest-log", "/dev/null", "-display", "none", "-nodefaults", "-S"]
PAGE = 0x100000
LABEL = 128 << 10
MAX_XFER = 4076


class Machine:
    def __init__(self, program, args):
        self.p = subprocess.Popen([program] + QTEST + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        while True:
            answer = self.p.stdout.readline()
            if not answer.startswith("IRQ"):
                return answer.strip()

    def dsm(self, function, arg3):
        page = struct.pack("<III", 1, 1, function) + arg3
        self.cmd(f"b64write 0x{PAGE:x} 0x{len(page):x} {base64.b64encode(page).decode()}")
        self.cmd(f"outl 0xa18 0x{PAGE:x}")
        head = base64.b64decode(self.cmd(f"b64read 0x{PAGE:x} 0x8")[3:])
        length, status = struct.unpack("<II", head)
        return status, base64.b64decode(self.cmd(f"b64read 0x{PAGE:x} 0x{length:x}")[3:])[8:]

    def read_labels_pipelined(self):
        lines = []
        for offset in range(0, LABEL, MAX_XFER):
            n = min(MAX_XFER, LABEL - offset)
            page = struct.pack("<IIIII", 1, 1, 5, offset, n)
            lines += [f"b64write 0x{PAGE:x} 0x{len(page):x} {base64.b64encode(page).decode()}",
                      f"outl 0xa18 0x{PAGE:x}", f"b64read 0x{PAGE:x} 0x1000"]
        self.p.stdin.write("\n".join(lines) + "\n")
        self.p.stdin.flush()
        data, calls = bytearray(), 0
        for i in range(len(lines)):
            answer = self.p.stdout.readline()
            if i % 3 == 2:
                raw = base64.b64decode(answer[3:])
                length, status = struct.unpack("<II", raw[:8])
                if status != 0:
                    sys.exit(f"get label data failed with status {status}")
                data += raw[8:length]
                calls += 1
        return bytes(data), calls

    def read_labels(self):
        data, calls = bytearray(), 0
        while len(data) < LABEL:
            n = min(MAX_XFER, LABEL - len(data))
            status, chunk = self.dsm(5, struct.pack("<II", len(data), n))
            calls += 1
            if status != 0:
                sys.exit(f"get label data failed with status {status}")
            data += chunk
        return bytes(data), calls

    def close(self):
        self.p.kill()
        self.p.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    if QEMU is None:
        sys.exit("qemu-system-x86_64 not found: apt-get install qemu-system-x86")
    subprocess.run([VNVDIMM, "-version"], check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory(prefix="vnvdimm-bench-") as folder:
        image = os.path.join(folder, "nv.img")
        with open(image, "wb") as f:
            f.truncate(1 << 30)
            f.seek((1 << 30) - LABEL)
            f.write(os.urandom(LABEL))
        args = ["-machine", "pc,nvdimm=on", "-m", "512M,slots=1,maxmem=2G",
                "-object", f"memory-backend-file,id=m0,share=on,mem-path={image},size=1G",
                "-device", "nvdimm,memdev=m0,label-size=128K"]
        print(f"whole 128 KiB label area through qtest, 33 DSM calls per read, median of {rounds} reads")
        for style in ["lockstep", "pipelined"]:
            rates, contents = {}, {}
            for name, program in [("QEMU", QEMU), ("vnvdimm", VNVDIMM)]:
                m = Machine(program, args)
                read = m.read_labels if style == "lockstep" else m.read_labels_pipelined
                samples = []
                for _ in range(rounds):
                    start = time.perf_counter()
                    data, calls = read()
                    samples.append(calls / (time.perf_counter() - start))
                m.close()
                rates[name], contents[name] = statistics.median(samples), data
            if contents["QEMU"] != contents["vnvdimm"]:
                sys.exit("the two machines returned different label data")
            for name in rates:
                print(f"  {style:<10} {name:<8} {rates[name]:8.0f} DSM calls/s   {rates[name] * MAX_XFER / 2**20:6.2f} MiB/s")
            print(f"  {style:<10} ratio    {rates['vnvdimm'] / rates['QEMU']:8.2f} (vnvdimm / QEMU)")


if __name__ == "__main__":
    main()
