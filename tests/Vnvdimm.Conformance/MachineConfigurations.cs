using Vnvdimm.Testing;

namespace Vnvdimm.Conformance;

/// <summary>The command lines both machines are started with; paths are made inside a scratch folder.</summary>
public static class MachineConfigurations
{
    /// <param name="ReadOnlyHandles">NVDIMMs on readonly backends: QEMU 7.2 crashes on a label write there, so no probe writes.</param>
    public sealed record Configuration(string Name, Func<TempFolder, string[]> Arguments, params uint[] ReadOnlyHandles)
    {
        /// <summary>Whether the machine has nvdimm=on, and so an NVDIMM SSDT (every such configuration has slots).</summary>
        public bool Nvdimm { get; init; } = true;

        public override string ToString() => Name;
    }

    private static string File(TempFolder t, string name, long size, string extra = "share=on") =>
        $"memory-backend-file,id={Path.GetFileNameWithoutExtension(name)},mem-path={t.Sparse(name, size)},size={size}" +
            (extra.Length > 0 ? "," + extra : "");

    private const long G = 1L << 30, M = 1L << 20;

    public static readonly Configuration[] All =
    [
        new("pc-one-nvdimm", t => ["-machine", "pc,nvdimm=on", "-m", "2G,slots=4,maxmem=8G",
            "-object", File(t, "m0.img", G), "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K"]),
        new("pc-ram-split-two-nvdimms-cpu", t => ["-machine", "pc,nvdimm=on,nvdimm-persistence=cpu", "-m", "4G,slots=4,maxmem=16G",
            "-object", File(t, "m0.img", G), "-object", File(t, "m1.img", 2 * G),
            "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K", "-device", "nvdimm,id=nv1,memdev=m1,label-size=256K"]),
        new("q35-ram-split-mem-ctrl", t => ["-machine", "q35,nvdimm=on,nvdimm-persistence=mem-ctrl", "-m", "4G,slots=2,maxmem=12G",
            "-object", File(t, "m0.img", G), "-object", File(t, "m1.img", G),
            "-device", "nvdimm,id=nv0,memdev=m0", "-device", "nvdimm,id=nv1,memdev=m1,label-size=128K"]),
        new("q35-explicit-slot-and-addr", t => ["-machine", "q35,nvdimm=on", "-m", "1G,slots=4,maxmem=20G",
            "-object", File(t, "m0.img", G), "-object", File(t, "m1.img", G),
            "-device", "nvdimm,id=nv0,memdev=m0,slot=2,addr=0x180000000", "-device", "nvdimm,id=nv1,memdev=m1,slot=0"]),
        new("pc-label-sizes-and-none", t => ["-machine", "pc,nvdimm=on", "-m", "512M,slots=3,maxmem=8G",
            "-object", File(t, "m0.img", 512 * M), "-object", File(t, "m1.img", 512 * M), "-object", File(t, "m2.img", 512 * M),
            "-device", "nvdimm,id=nv0,memdev=m0", "-device", "nvdimm,id=nv1,memdev=m1,label-size=1M",
            "-device", "nvdimm,id=nv2,memdev=m2,label-size=0x20000"]),
        new("pc-unarmed-readonly", t => ["-machine", "pc,nvdimm=on,nvdimm-persistence=cpu", "-m", "2G,slots=2,maxmem=8G",
            "-object", File(t, "m0.img", G, "readonly=on"), "-object", File(t, "m1.img", G),
            "-device", "nvdimm,id=nv0,memdev=m0,unarmed=on,label-size=128K", "-device", "nvdimm,id=nv1,memdev=m1,unarmed=on"], 1),
        new("pc-align-2M", t => ["-machine", "pc,nvdimm=on", "-m", "2G,slots=4,maxmem=10G",
            "-object", File(t, "m0.img", G + 3 * M, "share=on,align=2M"), "-object", File(t, "m1.img", G, "share=off,align=2M"),
            "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K", "-device", "nvdimm,id=nv1,memdev=m1,label-size=128K"]),
        new("pc-ram-backend", t => ["-machine", "pc,nvdimm=on,nvdimm-persistence=mem-ctrl", "-m", "1G,slots=2,maxmem=4G",
            "-object", "memory-backend-ram,id=r0,size=1G", "-object", "memory-backend-ram,id=r1,size=513M,share=on",
            "-device", "nvdimm,id=nv0,memdev=r0,label-size=128K", "-device", "nvdimm,id=nv1,memdev=r1"]),
        new("pc-slot-gaps-three-devices", t => ["-machine", "pc,nvdimm=on,nvdimm-persistence=cpu", "-m", "3584M,slots=8,maxmem=32G",
            "-object", File(t, "m0.img", 256 * M), "-object", File(t, "m1.img", 768 * M), "-object", File(t, "m2.img", 2 * G),
            "-device", "nvdimm,id=nv0,memdev=m0,slot=1", "-device", "nvdimm,id=nv1,memdev=m1,label-size=128K", "-device", "nvdimm,memdev=m2,slot=5"]),
        new("q35-numa-nodes", t => ["-machine", "q35,nvdimm=on", "-m", "2G,slots=2,maxmem=6G",
            "-object", "memory-backend-ram,id=ram0,size=1G", "-object", "memory-backend-ram,id=ram1,size=1G",
            "-numa", "node,nodeid=0,memdev=ram0", "-numa", "node,nodeid=1,memdev=ram1",
            "-object", File(t, "m0.img", G), "-device", "nvdimm,id=nv0,memdev=m0,node=1,label-size=128K"]),
        // As libvirt 9 writes it: -object and -device in JSON, sizes in k.
        new("pc-libvirt-json", t => ["-machine", "pc,nvdimm=on", "-m", "size=1048576k,slots=16,maxmem=8388608k",
            "-object", $"{{\"qom-type\":\"memory-backend-file\",\"id\":\"memnvdimm0\",\"mem-path\":\"{t.Sparse("nv0.img", 512 * M)}\"," +
                $"\"share\":true,\"size\":{512 * M}}}",
            "-device", "{\"driver\":\"nvdimm\",\"node\":0,\"label-size\":131072,\"memdev\":\"memnvdimm0\",\"id\":\"nvdimm0\",\"slot\":0}"]),
        new("pc-nvdimm-on-no-device", _ => ["-machine", "pc,nvdimm=on,nvdimm-persistence=cpu", "-m", "1G,slots=2,maxmem=4G"]),
        new("q35-large-ram", t => ["-M", "q35,nvdimm=on", "-m", "size=6G,slots=2,maxmem=16G",
            "-object", File(t, "m0.img", 4 * G), "-device", "nvdimm,memdev=m0,label-size=128K"]),
        new("pc-nvdimm-off-plain", _ => ["-machine", "pc", "-m", "256M"]) { Nvdimm = false },
    ];

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in All)
            data.Add(c.Name);
        return data;
    }

    /// <summary>The configurations with nvdimm=on: those whose guest has an NVDIMM SSDT to execute.</summary>
    public static TheoryData<string> NvdimmNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in All.Where(c => c.Nvdimm))
            data.Add(c.Name);
        return data;
    }

    public static Configuration ByName(string name) => All.Single(c => c.Name == name);
}
