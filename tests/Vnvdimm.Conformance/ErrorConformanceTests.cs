using Vnvdimm.Testing;

namespace Vnvdimm.Conformance;

/// <summary>
/// Invalid command lines: QEMU and vnvdimm must both refuse them, with QEMU's key phrase in the
/// message, and vnvdimm must leave the scratch folder exactly as it was (no file created, truncated or changed).
/// </summary>
public sealed class ErrorConformanceTests
{
    public sealed record Case(string Name, string KeyPhrase, Func<TempFolder, string[]> Arguments)
    {
        public override string ToString() => Name;
    }

    private const string Disk = "memory-backend-file,id=m0,mem-path={0}/f1.img,size=256M,share=on";

    private static string[] Machine(TempFolder t, string machine, string memory, params string[] rest) =>
        ["-machine", machine, "-m", memory, "-object", string.Format(Disk, t.Path), .. rest];

    private static string[] Nv(TempFolder t, params string[] rest) => Machine(t, "pc,nvdimm=on", "2G,slots=2,maxmem=4G", rest);

    /// <summary>A file backend in the JSON syntax libvirt writes, with <paramref name="rest"/> appended to its members.</summary>
    private static string Json(TempFolder t, string rest) =>
        $"{{\"qom-type\":\"memory-backend-file\",\"id\":\"m0\",\"mem-path\":\"{t.Path}/f1.img\",{rest}}}";

    private static string Second(TempFolder t) => $"memory-backend-file,id=m1,mem-path={t.Path}/f2.img,size=256M";

    public static readonly Case[] All =
    [
        new("persistence-value", "nvdimm-persistence=foo: unsupported option", t => ["-machine", "pc,nvdimm=on,nvdimm-persistence=foo"]),
        new("label-size-minimum", "is required at least 0x20000", t => Nv(t, "-device", "nvdimm,memdev=m0,label-size=64K")),
        new("label-size-too-large", "is too small to contain nvdimm label", t => Nv(t, "-device", "nvdimm,memdev=m0,label-size=2G")),
        new("busy-memdev", "can't use already busy memdev",
            t => Machine(t, "pc,nvdimm=on", "2G,slots=2,maxmem=8G", "-device", "nvdimm,memdev=m0", "-device", "nvdimm,memdev=m0")),
        new("no-free-slot", "no free slots available",
            t => Machine(t, "pc,nvdimm=on", "2G,slots=1,maxmem=8G", "-object", Second(t),
                "-device", "nvdimm,memdev=m0", "-device", "nvdimm,memdev=m1")),
        new("nvdimm-off", "nvdimm is not enabled", t => Machine(t, "pc", "2G,slots=2,maxmem=4G", "-device", "nvdimm,memdev=m0")),
        new("no-slots", "no slots where allocated", t => Machine(t, "pc,nvdimm=on", "2G", "-device", "nvdimm,memdev=m0")),
        new("missing-memdev", "Device 'nope' not found", t => Nv(t, "-device", "nvdimm,memdev=nope")),
        new("memdev-unset", "'memdev' property must be set", t => Nv(t, "-device", "nvdimm")),
        new("slot-out-of-range", "invalid slot number 5, valid range is [0-1]", t => Nv(t, "-device", "nvdimm,memdev=m0,slot=5")),
        new("slot-busy", "slot 1 is busy",
            t => Machine(t, "pc,nvdimm=on", "2G,slots=2,maxmem=8G", "-object", Second(t),
                "-device", "nvdimm,memdev=m0,slot=1", "-device", "nvdimm,memdev=m1,slot=1")),
        new("addr-unaligned", "address must be aligned to 0x1000 bytes", t => Nv(t, "-device", "nvdimm,memdev=m0,addr=0x100000800")),
        new("addr-outside", "can't add memory device [0x10000000:", t => Nv(t, "-device", "nvdimm,memdev=m0,addr=0x10000000")),
        new("addr-overlap", "address range conflicts with memory device id='a'",
            t => Machine(t, "pc,nvdimm=on", "2G,slots=2,maxmem=8G", "-object", Second(t),
                "-device", "nvdimm,id=a,memdev=m0,addr=0x100000000", "-device", "nvdimm,memdev=m1,addr=0x108000000")),
        new("maxmem-too-small-for-device", "not enough space",
            t => Machine(t, "pc,nvdimm=on", "2G,slots=2,maxmem=2112M", "-device", "nvdimm,memdev=m0")),
        new("backing-file-too-small", "does not match 'size' option",
            t => ["-machine", "pc,nvdimm=on", "-m", "2G,slots=2,maxmem=4G",
                "-object", $"memory-backend-file,id=m0,mem-path={t.Path}/small.img,size=256M,share=on", "-device", "nvdimm,memdev=m0"]),
        new("readonly-needs-unarmed", "'unarmed' property must be 'on'",
            t => ["-machine", "pc,nvdimm=on", "-m", "2G,slots=2,maxmem=4G",
                "-object", $"memory-backend-file,id=m0,mem-path={t.Path}/f1.img,size=256M,readonly=on", "-device", "nvdimm,memdev=m0"]),
        new("align-not-power-of-two", "must be a power of two",
            t => ["-object", $"memory-backend-file,id=m0,mem-path={t.Path}/f1.img,size=256M,align=3M"]),
        new("unknown-backend-key", "Invalid parameter 'bogus'",
            t => ["-object", $"memory-backend-file,id=m0,mem-path={t.Path}/f1.img,size=256M,bogus=1"]),
        new("bad-boolean", "Parameter 'unarmed' expects 'on' or 'off'", t => Nv(t, "-device", "nvdimm,memdev=m0,unarmed=maybe")),
        new("bad-uuid", "Property 'nvdimm.uuid' has invalid value", t => Nv(t, "-device", "nvdimm,memdev=m0,uuid=zzz")),
        new("mem-path-missing", "Parameter 'mem-path' is missing", t => ["-object", "memory-backend-file,id=m0,size=1G"]),
        new("size-missing", "Parameter 'size' is missing", t => ["-object", $"memory-backend-file,id=m0,mem-path={t.Path}/new.img"]),
        new("bad-size", "Parameter 'size' expects a size value", t => ["-object", $"memory-backend-file,id=m0,mem-path={t.Path}/new.img,size=1X"]),
        new("maxmem-below-ram", "must be at least the initial memory size", t => ["-m", "2G,slots=2,maxmem=1G"]),
        new("too-many-slots", "unsupported amount of memory slots: 300", t => ["-m", "2G,slots=300,maxmem=8G"]),
        new("slots-without-maxmem", "slots specified but no max-size", t => ["-m", "2G,slots=2"]),
        new("unknown-option", "-bogus: invalid option", t => ["-bogus"]),
        new("qmp-tcp-without-host", "-qmp tcp:4444,server=on,wait=off: parse error: tcp:4444,server=on,wait=off",
            t => ["-qmp", "tcp:4444,server=on,wait=off"]),
        new("qmp-tcp-empty", "-qmp tcp:,server=on,wait=off: parse error: tcp:,server=on,wait=off", t => ["-qmp", "tcp:,server=on,wait=off"]),
        new("incoming-without-port", "-incoming tcp:localhost: error parsing address 'localhost'", t => ["-incoming", "tcp:localhost"]),
        new("incoming-empty-address", "-incoming tcp:: error parsing address ''", t => ["-incoming", "tcp:"]),
        new("incoming-unknown-protocol", "-incoming foo:bar: unknown migration protocol: foo:bar", t => ["-incoming", "foo:bar"]),
        new("duplicate-object", "Duplicate ID 'm0' for object", t => Machine(t, "pc", "1G", "-object", string.Format(Disk, t.Path))),
        new("missing-folder", "can't open backing store", t => ["-object", $"memory-backend-file,id=m0,mem-path={t.Path}/no/such/dir/x.img,size=1G"]),
        new("unknown-backend-type", "Parameter 'qom-type' does not accept value 'memory-backend-foo'", t => ["-object", "memory-backend-foo,id=m0"]),
        new("node-out-of-range", "exceeds the number of numa nodes: 1", t => Nv(t, "-device", "nvdimm,memdev=m0,node=3")),
        new("unknown-device", "'foo' is not a valid device model name", t => Nv(t, "-device", "foo")),
        new("unknown-device-key", "Property 'nvdimm.bogus' not found", t => Nv(t, "-device", "nvdimm,memdev=m0,bogus=1")),
        new("duplicate-device-id", "Duplicate ID 'n0' for device",
            t => Machine(t, "q35,nvdimm=on", "2G,slots=2,maxmem=8G", "-object", Second(t),
                "-device", "nvdimm,id=n0,memdev=m0", "-device", "nvdimm,id=n0,memdev=m1")),
        new("bad-nvdimm-boolean", "Parameter 'nvdimm' expects 'on' or 'off'", t => ["-machine", "pc,nvdimm=maybe"]),
        new("unknown-machine", "unsupported machine type", t => ["-machine", "foo"]),
        new("json-size-not-a-number", "Parameter 'size' expects uint64", t => ["-object", Json(t, "\"size\":\"256M\"")]),
        new("json-share-not-a-boolean", "Invalid parameter type for 'share', expected: boolean",
            t => ["-object", Json(t, "\"size\":268435456,\"share\":\"on\"")]),
        new("json-unknown-key", "Parameter 'bogus' is unexpected", t => ["-object", Json(t, "\"size\":268435456,\"bogus\":1")]),
        new("json-truncated", "JSON parse error, premature EOI", t => ["-object", Json(t, "\"size\":268435456")[..^1]]),
        new("json-id-not-a-string", "Invalid parameter type for 'id', expected: string",
            t => ["-object", "{\"qom-type\":\"memory-backend-ram\",\"id\":7,\"size\":268435456}"]),
        new("json-device-slot-not-an-integer", "Invalid parameter type for 'slot', expected: integer",
            t => Nv(t, "-device", "{\"driver\":\"nvdimm\",\"memdev\":\"m0\",\"slot\":\"1\"}")),
        new("json-device-label-size-string", "Parameter 'label-size' expects uint64",
            t => Nv(t, "-device", "{\"driver\":\"nvdimm\",\"memdev\":\"m0\",\"label-size\":\"128K\"}")),
        new("json-device-unknown-key", "Property 'nvdimm.bogus' not found",
            t => Nv(t, "-device", "{\"driver\":\"nvdimm\",\"memdev\":\"m0\",\"bogus\":1}")),
        new("json-device-driver-missing", "Parameter 'driver' is missing", t => Nv(t, "-device", "{\"memdev\":\"m0\"}")),
        new("serial-unknown-chardev", "-serial chardev:nope: could not connect serial device to character backend 'chardev:nope'",
            t => ["-serial", "chardev:nope"]),
        new("serial-unknown-driver", "-serial foo: 'foo' is not a valid char driver", t => ["-serial", "foo"]),
        new("stdio-twice", "-chardev stdio,id=c1: cannot use stdio by multiple character devices", t => ["-qmp", "stdio", "-chardev", "stdio,id=c1"]),
        new("unused-chardev-unreachable", $"Failed to connect to '", t => ["-chardev", $"socket,id=s0,path={t.Path}/no.sock"]),
        new("machine-accel-unknown", "invalid accelerator foo", t => ["-machine", "pc,accel=foo"]),
        new("accel-unknown-property", "Property 'tcg-accel.bogus' not found", t => ["-accel", "tcg,tb-size=64,bogus=1"]),
        new("amd-hole-pc", "Address space limit 0xffffffffff < 0x1fc3fffffff phys-bits too low (40)",
            t => ["-machine", "pc,nvdimm=on", "-m", "2G,slots=4,maxmem=1005G"]),
        new("amd-hole-q35", "Address space limit 0xffffffffff < 0x1ffffffffff phys-bits too low (40)",
            t => ["-machine", "q35,nvdimm=on", "-m", "2G,slots=4,maxmem=990G"]),
        new("octal-slot", "invalid slot number 8, valid range is [0-1]", t => Nv(t, "-device", "nvdimm,memdev=m0,slot=010")),
        new("not-octal-slot", "Parameter 'slot' expects integer", t => Nv(t, "-device", "nvdimm,memdev=m0,slot=08")),
        new("short-machine-option", "-M pc,nvdimm: Expected '=' after parameter 'nvdimm'", t => ["-M", "pc,nvdimm"]),
        new("escaped-comma-in-driver", "'nvdimm,memdev=m0' is not a valid device model name", t => Nv(t, "-device", "nvdimm,,memdev=m0")),
        new("numa-mem", "Parameter -numa node,mem is not supported by this machine type", t => ["-numa", "node,mem=1G"]),
        new("ram-fraction-without-unit", "-m 1.5: Parameter 'size' expects a non-negative number below 2^64", t => ["-m", "1.5"]),
        new("slots-equal-maxmem", "memory slots were specified but maximum memory size (0x40000000) is equal to the initial memory size",
            t => ["-m", "1G,slots=2,maxmem=1G"]),
        new("json-node-string", "Parameter 'node' expects uint64", t => Nv(t, "-device", "{\"driver\":\"nvdimm\",\"memdev\":\"m0\",\"node\":\"0\"}")),
        new("accel-twice", "The -accel and \"-machine accel=\" options are incompatible", t => ["-accel", "tcg", "-machine", "pc,accel=tcg"]),
        new("mem-path-fifo", "unable to map backing store for guest RAM: No such device",
            t => ["-object", $"memory-backend-file,id=m0,mem-path={t.Path}/pipes/fifo,size=64M,share=on"]),
    ];

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in All)
            data.Add(c.Name);
        return data;
    }

    private static void Prepare(TempFolder folder)
    {
        folder.Sparse("f1.img", 256L << 20);
        folder.Sparse("small.img", 64L << 20);
        // In a folder of its own: the fingerprint reads the top-level files, and reading a pipe would wait for a writer.
        Directory.CreateDirectory(folder.File("pipes"));
        var mkfifo = System.Diagnostics.Process.Start("mkfifo", [folder.File("pipes/fifo")])!;
        mkfifo.WaitForExit();
    }

    [SkippableTheory]
    [MemberData(nameof(Names))]
    public void Both_refuse_with_qemus_key_phrase_and_vnvdimm_changes_no_file(string name)
    {
        var c = All.Single(x => x.Name == name);

        using (var ours = new TempFolder())
        {
            Prepare(ours);
            var before = ours.Fingerprint();
            var outcome = TestMachines.RunVnvdimm(c.Arguments(ours));
            Assert.Equal(1, outcome.ExitCode);
            Assert.Contains(c.KeyPhrase, outcome.Stderr);
            Assert.StartsWith("vnvdimm: ", outcome.Stderr);
            Assert.Equal(before, ours.Fingerprint());
        }

        TestMachines.RequireQemu();
        using var theirs = new TempFolder();
        Prepare(theirs);
        var qemu = TestMachines.RunQemu(c.Arguments(theirs));
        Assert.True(qemu.ExitCode == 1, $"QEMU accepted the command line (exit {qemu.ExitCode}): {qemu.Stderr}");
        Assert.Contains(c.KeyPhrase, qemu.Stderr);
    }
}
