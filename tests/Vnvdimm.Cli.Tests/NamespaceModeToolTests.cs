using System.Text.Json.Nodes;
using Vnvdimm.Testing;

namespace Vnvdimm.Cli.Tests;

/// <summary>create-namespace --mode and label format as processes: what they write, what they refuse (writing nothing).</summary>
public sealed class NamespaceModeToolTests
{
    private static TestMachines.Outcome Tool(params string[] args) => TestMachines.RunVnvdimm(args);

    private static string Labelled(TempFolder dir, string version = "1.2")
    {
        string file = dir.Sparse("nv0.img", (130L << 20) + (128 << 10), fill: 0);
        Assert.Equal(0, Tool("label", "init", file, "--label-size", "128K", "--version", version).ExitCode);
        return file;
    }

    private static string[] Create(string file, params string[] options) =>
        ["label", "create-namespace", file, "--label-size", "128K", .. options];

    public static TheoryData<string[], string> Refusals => new()
    {
        { ["--mode", "fsdax", "--size", "48M", "--align", "1G"], "size 50331648 is not a multiple of the align 1G" },
        { ["--mode", "fsdax", "--size", "32M", "--align", "8K"], "--align 8K: use 4K, 2M or 1G" },
        { ["--mode", "sector", "--size", "32M", "--sector-size", "1000"], "--sector-size 1000: use one of 512, 520, 528, 4096" },
        { ["--mode", "sector", "--size", "32M", "--map", "dev"], "--map applies to fsdax and devdax namespaces, not sector" },
        { ["--mode", "devdax", "--size", "32M", "--sector-size", "512"], "--sector-size applies to sector namespaces, not devdax" },
        { ["--size", "32M", "--align", "2M"], "--align applies to fsdax and devdax namespaces, not raw (the backend's align= is --backend-align)" },
        { ["--mode", "memoryish", "--size", "32M"], "--mode memoryish: use raw, fsdax, devdax, sector" },
        { ["--mode", "fsdax", "--size", "32M", "--map", "ram2"], "--map ram2: use mem or dev" },
        { ["--mode", "devdax", "--size", "144M"], "no 150994944-byte extent free" },
        { ["--size", "32M", "--slot", "256"], "--slot 256: a machine's memory slots are 0 to 255" },
        { ["--size", "32M", "--slot", "-1"], "--slot -1: a machine's memory slots are 0 to 255" },
        { ["--size", "32M", "--backend-align", "3K"], "--backend-align: alignment 0xc00 must be multiples of page size 0x1000" },
        { ["--size", "32M", "--backend-align", "12K"], "--backend-align: alignment 0x3000 must be a power of two" },
    };

    /// <summary>Each refusal is ndctl's, in plain words, and the file (labels and data) is as it was.</summary>
    [Theory]
    [MemberData(nameof(Refusals))]
    public void Create_namespace_refuses_what_ndctl_refuses_and_writes_nothing(string[] options, string message)
    {
        using var dir = new TempFolder();
        string file = Labelled(dir);
        var before = dir.Fingerprint();
        var refused = Tool(Create(file, options));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains(message, refused.Stderr);
        Assert.Equal(before, dir.Fingerprint());
    }

    [Fact]
    public void An_fsdax_namespace_gets_its_guid_its_info_block_and_lists_as_ndctl_would()
    {
        using var dir = new TempFolder();
        string file = Labelled(dir);
        // Old content where the namespace goes: the first 8 KiB are cleared as ndctl clears them.
        using (var stream = File.OpenWrite(file))
            stream.Write(Enumerable.Repeat((byte)0xA5, 12288).ToArray());
        var created = Tool(Create(file, "--mode", "fsdax", "--size", "32M", "--name", "fs"));
        Assert.Equal(0, created.ExitCode);
        Assert.Contains("fsdax (map dev, align 2M): 31457280 bytes for the guest", created.Stdout);

        var report = JsonNode.Parse(Tool("label", "dump", file, "--label-size", "128K", "--json").Stdout)![0]!;
        Assert.Equal("266400ba-fb9f-4677-bcb0-968f11d0d225", report["labels"]![0]!["abstraction_guid"]!.GetValue<string>());
        var ns = report["namespaces"]![0]!;
        const string expected = "{\"dev\":\"namespace0.0\",\"mode\":\"fsdax\",\"map\":\"dev\",\"size\":31457280,\"uuid\":\"U\","
            + "\"sector_size\":512,\"align\":2097152,\"blockdev\":\"pmem0\",\"name\":\"fs\"}";
        Assert.Equal(expected,
            ns.ToJsonString().Replace(ns["uuid"]!.GetValue<string>(), "U"));
        byte[] bytes = File.ReadAllBytes(file);
        Assert.Equal(-1, bytes.AsSpan(0, 4096).IndexOfAnyExcept((byte)0));
        Assert.Equal("NVDIMM_PFN_INFO\0"u8.ToArray(), bytes[4096..4112]);
        Assert.Equal((byte)0xA5, bytes[8192]);
        Assert.Equal(0, Tool("label", "check", file, "--label-size", "128K").ExitCode);
    }

    /// <summary>label check reports a broken info block and changes nothing; Linux would use the namespace as raw.</summary>
    [Theory]
    [InlineData("devdax", 4096 + 70, "checksum")]
    [InlineData("fsdax", 4096 + 40, "parent uuid")]
    public void Check_reports_a_broken_info_block_and_never_fixes_it(string mode, int offset, string problem)
    {
        using var dir = new TempFolder();
        string file = Labelled(dir);
        Assert.Equal(0, Tool(Create(file, "--mode", mode, "--size", "32M")).ExitCode);
        using (var stream = File.OpenWrite(file))
        {
            stream.Position = offset;
            stream.WriteByte(0x5A);
        }
        if (problem == "parent uuid")
            FixChecksum(file);
        var before = dir.Fingerprint();
        var check = Tool("label", "check", file, "--label-size", "128K");
        Assert.Equal(1, check.ExitCode);
        Assert.Contains(problem, check.Stdout);
        Assert.Contains("Linux uses it as raw", check.Stdout);
        Assert.Equal(before, dir.Fingerprint());
        var dump = JsonNode.Parse(Tool("label", "dump", file, "--label-size", "128K", "--json").Stdout)![0]!;
        Assert.Equal("raw", dump["namespaces"]![0]!["mode"]!.GetValue<string>());
    }

    /// <summary>A changed parent uuid with a checksum that still adds up: only the parent check can catch it.</summary>
    private static void FixChecksum(string file)
    {
        byte[] block = new byte[4096];
        using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.Read(handle, block, 4096);
        BitConverter.TryWriteBytes(block.AsSpan(4088), Vnvdimm.Guest.Labels.Fletcher64.WithFieldZeroed(block, 4088));
        RandomAccess.Write(handle, block, 4096);
    }

    [Fact]
    public void Format_makes_a_label_less_namespace_and_refuses_to_replace_one_without_force()
    {
        using var dir = new TempFolder();
        string file = dir.Sparse("nv1.img", 64L << 20, fill: 0);
        var formatted = Tool("label", "format", file, "--mode", "devdax");
        Assert.Equal(0, formatted.ExitCode);
        Assert.Contains("label-less namespace formatted, devdax (map dev, align 2M): 65011712 bytes for the guest", formatted.Stdout);
        var before = dir.Fingerprint();
        var again = Tool("label", "format", file, "--mode", "fsdax");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("it starts with a DAX (devdax) info block: --force replaces it", again.Stderr);
        Assert.Equal(before, dir.Fingerprint());
        Assert.Equal(0, Tool("label", "format", file, "--mode", "fsdax", "--map", "mem", "--force").ExitCode);
        var ns = JsonNode.Parse(Tool("label", "dump", file, "--label-size", "0", "--json").Stdout)![0]!["namespaces"]![0]!;
        Assert.Equal(("fsdax", "mem", 65011712UL), (ns["mode"]!.GetValue<string>(), ns["map"]!.GetValue<string>(), ns["size"]!.GetValue<ulong>()));
    }

    [Theory]
    [InlineData(2L << 20, "cannot hold the info block and the page map (--map dev) and any data at 2M alignment")]
    [InlineData(4L << 20, "")]
    public void Format_refuses_a_region_too_small_for_the_info_block_and_the_page_map(long size, string message)
    {
        using var dir = new TempFolder();
        string file = dir.Sparse("nv1.img", size, fill: 0);
        var before = dir.Fingerprint();
        var outcome = Tool("label", "format", file, "--mode", "fsdax");
        if (message.Length == 0)
        {
            Assert.Equal(0, outcome.ExitCode);
            return;
        }
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains(message, outcome.Stderr);
        Assert.Equal(before, dir.Fingerprint());
    }

    [Fact]
    public void A_read_only_file_takes_no_namespace_of_any_mode()
    {
        using var dir = new TempFolder();
        string file = Labelled(dir);
        string bare = dir.Sparse("nv1.img", 64L << 20, fill: 0);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead);
        File.SetUnixFileMode(bare, UnixFileMode.UserRead | UnixFileMode.GroupRead);
        var before = dir.Fingerprint();
        var create = Tool(Create(file, "--mode", "fsdax", "--size", "32M"));
        Assert.Equal(1, create.ExitCode);
        Assert.Contains("read-only (no write permission), ineligible for namespace creation", create.Stderr);
        var format = Tool("label", "format", bare, "--mode", "fsdax");
        Assert.Equal(1, format.ExitCode);
        Assert.Contains("read-only (no write permission), ineligible for namespace creation", format.Stderr);
        Assert.Equal(before, dir.Fingerprint());
    }

    /// <summary>Through a running machine: the info block goes through guest memory into the backing file.</summary>
    [Fact]
    public void Guest_create_namespace_writes_the_mode_through_the_machine()
    {
        using var dir = new TempFolder();
        string[] machine = ["--", "-machine", "pc,nvdimm=on", "-m", "256M,slots=2,maxmem=4G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("nv0.img")},size=130M",
            "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K"];
        Assert.Equal(0, Tool(["guest", "init-labels", .. machine]).ExitCode);
        var created = Tool(["guest", "create-namespace", "--mode", "devdax", "--align", "4K", "--size", "32M", .. machine]);
        Assert.Equal(0, created.ExitCode);
        var list = JsonNode.Parse(Tool(["guest", "list", "--json", .. machine]).Stdout)!;
        var ns = list["regions"]![0]!["namespaces"]![0]!;
        Assert.Equal(("devdax", "dax0.0", 4096UL),
            (ns["mode"]!.GetValue<string>(), ns["chardev"]!.GetValue<string>(), ns["align"]!.GetValue<ulong>()));
        // The same bytes offline, straight from the file.
        var offline = JsonNode.Parse(Tool("label", "dump", dir.File("nv0.img"), "--label-size", "128K", "--json").Stdout)![0]!;
        Assert.Equal(ns.ToJsonString(), offline["namespaces"]![0]!.ToJsonString());
    }

    /// <summary>
    /// An fsdax file plugged after an NVDIMM whose PMEM is not a multiple of 2 MiB starts off Linux's grid: layout says so,
    /// and is quiet once the first NVDIMM's size puts it back on it.
    /// </summary>
    [Theory]
    [InlineData(130L << 20, true)]
    [InlineData(133248L << 10, false)]
    public void Layout_warns_when_an_info_block_lands_where_linux_refuses_it(long firstSize, bool warned)
    {
        using var dir = new TempFolder();
        dir.Sparse("nv0.img", firstSize, fill: 0);
        string rootfs = dir.Sparse("rootfs.img", 64L << 20, fill: 0);
        Assert.Equal(0, Tool("label", "format", rootfs, "--mode", "fsdax").ExitCode);
        var layout = Tool("layout", "--json", "--", "-machine", "pc,nvdimm=on", "-m", "512M,slots=2,maxmem=4G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("nv0.img")},size={firstSize}",
            "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K",
            "-object", $"memory-backend-file,id=m1,share=on,mem-path={rootfs},size=64M", "-device", "nvdimm,id=nv1,memdev=m1");
        var warnings = JsonNode.Parse(layout.Stdout)!["nvdimms"]![1]!["warnings"]!.AsArray();
        var refused = warnings.Where(w => w!["kind"]!.GetValue<string>() == "info-block-refused").ToList();
        Assert.Equal(warned ? 1 : 0, refused.Count);
        if (warned)
            Assert.Contains("not on a 2 MiB boundary", refused[0]!["message"]!.GetValue<string>());
    }

    /// <summary>A labelled NVDIMM's file, or one whose namespace holds anyone's info block, is not formatted label-less without --force.</summary>
    [Theory]
    [InlineData("1.2", "fsdax", "its last 131072 bytes hold a label set (1 namespace(s))")]
    [InlineData("1.1", "raw", "its last 131072 bytes hold a label set (1 namespace(s))")]
    public void Format_refuses_a_labelled_nvdimms_file(string version, string mode, string message)
    {
        using var dir = new TempFolder();
        string file = Labelled(dir, version);
        Assert.Equal(0, Tool(Create(file, "--mode", mode, "--size", "32M")).ExitCode);
        var before = dir.Fingerprint();
        var refused = Tool("label", "format", file, "--mode", "fsdax");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains(message, refused.Stderr);
        Assert.Equal(before, dir.Fingerprint());
        // Read as label-less, the file's labels are not passed over in silence either.
        var dump = Tool("label", "dump", file, "--label-size", "0");
        Assert.Equal(1, dump.ExitCode);
        Assert.Contains("with label-size=0 the guest sees them as data; this NVDIMM's label-size is 131072", dump.Stdout);
    }

    /// <summary>
    /// A label area never initialised leaves the region label-less, as Linux treats it: listed as one namespace over the
    /// region, and format (given the label-size) makes it fsdax; an initialised label set is refused.
    /// </summary>
    [Fact]
    public void An_uninitialised_label_area_is_a_label_less_region()
    {
        using var dir = new TempFolder();
        string file = dir.Sparse("nv0.img", (130L << 20) + (128 << 10), fill: 0);
        var dump = JsonNode.Parse(Tool("label", "dump", file, "--label-size", "128K", "--json").Stdout)![0]!;
        Assert.Equal("""{"dev":"namespace0.0","mode":"raw","size":136314880,"sector_size":512,"blockdev":"pmem0"}""",
            dump["namespaces"]![0]!.ToJsonString());
        Assert.Equal(0, Tool("label", "format", file, "--label-size", "128K", "--mode", "fsdax").ExitCode);
        var listed = JsonNode.Parse(Tool(["guest", "list", "--json", "--", "-machine", "pc,nvdimm=on", "-m", "256M,slots=2,maxmem=4G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={file},size=133248K",
            "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K"]).Stdout)!;
        var region = listed["regions"]![0]!;
        Assert.Null(region["iset_id"]);
        Assert.Equal(0UL, region["available_size"]!.GetValue<ulong>());
        var ns = region["namespaces"]![0]!;
        Assert.Equal(("fsdax", 132120576UL), (ns["mode"]!.GetValue<string>(), ns["size"]!.GetValue<ulong>()));

        Assert.Equal(0, Tool("label", "init", file, "--label-size", "128K").ExitCode);
        var before = dir.Fingerprint();
        var refused = Tool("label", "format", file, "--label-size", "128K", "--mode", "fsdax", "--force");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("its label area holds an initialised label set: Linux uses its labels, not a label-less namespace", refused.Stderr);
        Assert.Equal(before, dir.Fingerprint());
    }

    /// <summary>
    /// An info block Linux claims but cannot use leaves the namespace without a device (ndctl list omits it), not raw;
    /// one it passes on (another namespace's) leaves it raw.
    /// </summary>
    [Theory]
    [InlineData(56, 0x201000UL, false, "not aligned")]   // data offset off the 2M grid
    [InlineData(80, 0x40000000UL, false, "leave no data")] // end trim larger than the namespace (its size would wrap)
    [InlineData(72, 7UL, true, "neither 1")]              // mode 7: Linux passes the namespace on
    public void A_claimed_info_block_linux_cannot_use_leaves_no_device(int field, ulong value, bool raw, string problem)
    {
        using var dir = new TempFolder();
        string file = Labelled(dir);
        Assert.Equal(0, Tool(Create(file, "--mode", "fsdax", "--size", "32M")).ExitCode);
        Assert.Equal(0, Tool(Create(file, "--size", "16M", "--name", "after")).ExitCode);
        using (var handle = File.OpenHandle(file, FileMode.Open, FileAccess.ReadWrite))
        {
            byte[] block = new byte[4096];
            RandomAccess.Read(handle, block, 4096);
            if (field == 72)
                BitConverter.TryWriteBytes(block.AsSpan(field), (uint)value);
            else if (field == 80)
                BitConverter.TryWriteBytes(block.AsSpan(field), (uint)value);
            else
                BitConverter.TryWriteBytes(block.AsSpan(field), value);
            RandomAccess.Write(handle, block, 4096);
        }
        FixChecksum(file);
        var dump = Tool("label", "dump", file, "--label-size", "128K", "--json");
        Assert.Equal(1, dump.ExitCode);
        var report = JsonNode.Parse(dump.Stdout)![0]!;
        var devs = report["namespaces"]!.AsArray().Select(n => n!["dev"]!.GetValue<string>()).ToList();
        // The namespace after it keeps its name either way: Linux numbers the disabled one too.
        Assert.Equal(raw ? ["namespace0.0", "namespace0.1"] : ["namespace0.1"], devs);
        string said = string.Join("\n", report["problems"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Contains(problem, said);
        Assert.Contains(raw ? "Linux uses it as raw" : "Linux refuses to enable it", said);
    }

    /// <summary>destroy-namespace clears the namespace's first 8 KiB as ndctl does: a raw namespace made there later is raw.</summary>
    [Fact]
    public void A_destroyed_namespace_leaves_no_info_block_behind()
    {
        using var dir = new TempFolder();
        string file = Labelled(dir);
        string uuid = "5e1f0c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
        Assert.Equal(0, Tool(Create(file, "--mode", "fsdax", "--size", "64M", "--uuid", uuid)).ExitCode);
        Assert.Equal(0, Tool("label", "destroy-namespace", file, "--label-size", "128K", "--uuid", uuid).ExitCode);
        Assert.Equal(-1, File.ReadAllBytes(file).AsSpan(0, 8192).IndexOfAnyExcept((byte)0));
        Assert.Equal(0, Tool(Create(file, "--size", "64M", "--uuid", uuid)).ExitCode);
        var check = Tool("label", "check", file, "--label-size", "128K", "--json");
        Assert.Equal(0, check.ExitCode);
        Assert.Equal("raw", JsonNode.Parse(check.Stdout)![0]!["namespaces"]![0]!["mode"]!.GetValue<string>());
    }

    [Fact]
    public void Sizes_default_to_the_largest_free_extent_and_sector_sizes_take_suffixes()
    {
        using var dir = new TempFolder();
        string file = Labelled(dir);
        Assert.Equal(0, Tool(Create(file, "--mode", "sector", "--size", "32M", "--sector-size", "4K")).ExitCode);
        var created = Tool(Create(file, "--mode", "fsdax", "--align", "1G"));
        Assert.Equal(1, created.ExitCode);
        Assert.Contains("no free extent left", created.Stderr);
        Assert.Equal(0, Tool(Create(file, "--mode", "devdax")).ExitCode);
        var namespaces = JsonNode.Parse(Tool("label", "dump", file, "--label-size", "128K", "--json").Stdout)![0]!["namespaces"]!.AsArray();
        Assert.Equal((4096u, 96UL << 20), (namespaces[0]!["sector_size"]!.GetValue<uint>(), namespaces[1]!["size"]!.GetValue<ulong>() + (2UL << 20)));
    }

    [Fact]
    public void A_backing_file_behind_a_link_is_measured_as_the_file()
    {
        using var dir = new TempFolder();
        string file = Labelled(dir);
        Assert.Equal(0, Tool(Create(file, "--mode", "devdax", "--size", "32M")).ExitCode);
        File.CreateSymbolicLink(dir.File("link.img"), file);
        var direct = Tool("label", "dump", file, "--label-size", "128K", "--json");
        var linked = Tool("label", "dump", dir.File("link.img"), "--label-size", "128K", "--json");
        Assert.Equal(0, linked.ExitCode);
        Assert.Equal(JsonNode.Parse(direct.Stdout)![0]!["namespaces"]!.ToJsonString(),
            JsonNode.Parse(linked.Stdout)![0]!["namespaces"]!.ToJsonString());
    }

    [Fact]
    public void A_label_size_below_qemus_minimum_is_refused_as_the_machine_refuses_it()
    {
        using var dir = new TempFolder();
        string file = dir.Sparse("nv0.img", 130L << 20, fill: 0);
        var before = dir.Fingerprint();
        var init = Tool("label", "init", file, "--label-size", "64K");
        Assert.Equal(1, init.ExitCode);
        Assert.Contains("--label-size 0x10000: Property 'nvdimm.label-size' is required at least 0x20000", init.Stderr);
        Assert.Equal(before, dir.Fingerprint());
        // align 0 is the machine's default (the page size), not an empty region.
        Assert.Equal(0, Tool("label", "init", file, "--label-size", "128K").ExitCode);
        Assert.Equal(0, Tool(Create(file, "--size", "32M", "--backend-align", "0")).ExitCode);
    }
}
