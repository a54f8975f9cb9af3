using System.Text.Json.Nodes;
using Vnvdimm.Testing;

namespace Vnvdimm.Conformance;

/// <summary>
/// Namespaces of every mode, made from the host, judged by a real Linux 6.1 guest (booted by QEMU on the same backing
/// files): ndctl inside must list them as vnvdimm does, field for field, and use them (mount -o dax on fsdax, /dev/dax
/// of the listed size, the BTT's /dev/pmem*s); and the reverse: what Linux makes in each mode, vnvdimm lists exactly.
/// </summary>
public sealed class LinuxNamespaceModeTests
{
    private const string PmemLabelled = "133248K"; // 130 MiB of PMEM after the 128K label area: slot 1 starts on a 2 MiB boundary

    /// <summary>Slot 0 with a label area, slot 1 without: Linux's region0 and region1.</summary>
    private static string[] Machine(TempFolder dir) =>
    [
        "-machine", "pc,nvdimm=on", "-m", "512M,slots=2,maxmem=4G",
        "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("nv0.img")},size={PmemLabelled}",
        "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K",
        "-object", $"memory-backend-file,id=m1,share=on,mem-path={dir.File("nv1.img")},size=64M",
        "-device", "nvdimm,id=nv1,memdev=m1",
    ];

    private static void Files(TempFolder dir)
    {
        dir.Sparse("nv0.img", 133248L << 10, fill: 0);
        dir.Sparse("nv1.img", 64L << 20, fill: 0);
    }

    /// <summary>
    /// Offline (label create-namespace, label format) and through a running vnvdimm machine (guest create-namespace):
    /// fsdax, devdax, sector and fsdax with the map in RAM on region0, the label-less region1 formatted; then Linux.
    /// </summary>
    [SkippableTheory]
    [InlineData("1.2", "devdax")]
    [InlineData("1.1", "fsdax")]
    public void Linux_uses_every_mode_made_from_the_host_as_vnvdimm_lists_it(string labels, string labelLessMode)
    {
        Prerequisite.Require(LinuxGuest.Missing);
        using var dir = new TempFolder();
        Files(dir);
        string nv0 = dir.File("nv0.img"), nv1 = dir.File("nv1.img");
        Tool("label", "init", nv0, "--label-size", "128K", "--version", labels);
        Tool("label", "create-namespace", nv0, "--label-size", "128K", "--mode", "fsdax", "--size", "32M", "--name", "ours-fsdax");
        Tool("label", "create-namespace", nv0, "--label-size", "128K", "--mode", "devdax", "--size", "32M", "--name", "ours-devdax");
        Tool(["guest", "create-namespace", "--mode", "sector", "--size", "32M", "--name", "ours-sector", "--", .. Machine(dir)]);
        Tool("label", "create-namespace", nv0, "--label-size", "128K", "--mode", "fsdax", "--map", "mem", "--align", "4K",
            "--size", "16M", "--name", "ours-fsdax-mem");
        Tool("label", "format", nv1, "--mode", labelLessMode);
        var ours = JsonNode.Parse(Tool(["guest", "list", "--json", "--", .. Machine(dir)]))!;

        var linux = LinuxGuest.Boot(Machine(dir), "vnvdimm.action=check");
        AssertSameNamespaces(linux.Listing, ours, "region0", "region1");
        var namespaces = Namespaces(ours, "region0").Concat(Namespaces(ours, "region1")).ToList();
        Assert.Equal(new[] { "devdax", "fsdax", "fsdax", "sector", labelLessMode }.Order(), namespaces.Select(n => Text(n, "mode")).Order());
        foreach (var ns in namespaces)
        {
            string size = Text(ns, "size");
            switch (Text(ns, "mode"))
            {
                case "fsdax":
                    Assert.Contains($"block {Text(ns, "blockdev")} {size}", linux.Checks);
                    Assert.Contains($"dax-mount {Text(ns, "blockdev")} ok", linux.Checks);
                    break;
                case "devdax":
                    Assert.Contains($"dax {Text(ns, "chardev")} {size}", linux.Checks);
                    break;
                case "sector":
                    Assert.EndsWith("s", Text(ns, "blockdev"));
                    Assert.Contains($"block {Text(ns, "blockdev")} {size}", linux.Checks);
                    break;
            }
        }
        // Every device Linux made was listed: nothing more, nothing less.
        Assert.Equal(namespaces.Count,
            linux.Checks.Count(l => l.StartsWith("block ", StringComparison.Ordinal) || l.StartsWith("dax ", StringComparison.Ordinal)));
    }

    /// <summary>Linux makes one namespace of each mode (and formats the label-less one); vnvdimm's label dump lists them exactly.</summary>
    [SkippableTheory]
    [InlineData("1.2", "fsdax")]
    [InlineData("1.1", "devdax")]
    public void Namespaces_linux_makes_in_each_mode_read_back_exactly(string labels, string labelLessMode)
    {
        Prerequisite.Require(LinuxGuest.Missing);
        using var dir = new TempFolder();
        Files(dir);
        var linux = LinuxGuest.Boot(Machine(dir), $"vnvdimm.action=create-modes vnvdimm.labels={labels} vnvdimm.labelless={labelLessMode}");
        Assert.Equal(["devdax", "fsdax", "fsdax", "sector"], Namespaces(linux.Listing, "region0").Select(n => Text(n, "mode")).Order());
        Assert.Equal(labelLessMode, Text(Assert.Single(Namespaces(linux.Listing, "region1")), "mode"));

        // Offline, the file's region is named region0: the label-less file is compared under Linux's name for it.
        var labelled = Dump(dir.File("nv0.img"), "128K");
        var labelLess = Dump(dir.File("nv1.img"), "0");
        Assert.Equal(Canonical(Namespaces(linux.Listing, "region0")), Canonical(labelled));
        Assert.Equal(Canonical(Namespaces(linux.Listing, "region1")), Canonical(labelLess).Replace("0.0", "1.0").Replace("pmem0", "pmem1"));

        // And a vnvdimm machine on the same files lists them as Linux did.
        var ours = JsonNode.Parse(Tool(["guest", "list", "--json", "--", .. Machine(dir)]))!;
        AssertSameNamespaces(linux.Listing, ours, "region0", "region1");
    }

    private static IReadOnlyList<JsonNode> Dump(string file, string labelSize)
    {
        var report = JsonNode.Parse(Tool("label", "dump", file, "--label-size", labelSize, "--json"))![0]!;
        Assert.Empty(report["problems"]!.AsArray());
        return [.. report["namespaces"]!.AsArray().Select(n => n!)];
    }

    private static void AssertSameNamespaces(JsonNode linux, JsonNode ours, params string[] regions)
    {
        foreach (string region in regions)
            Assert.Equal(Canonical(Namespaces(linux, region)), Canonical(Namespaces(ours, region)));
    }

    private static IReadOnlyList<JsonNode> Namespaces(JsonNode listing, string region) =>
        [.. listing["regions"]!.AsArray().Single(r => Text(r!, "dev") == region)!["namespaces"]!.AsArray().Select(n => n!)];

    /// <summary>ndctl prints namespaces in no fixed order: compared sorted by device, fields as printed.</summary>
    private static string Canonical(IEnumerable<JsonNode> namespaces) =>
        string.Join("\n", namespaces.Select(n => n.ToJsonString()).Order(StringComparer.Ordinal));

    private static string Text(JsonNode node, string field) => node[field]!.ToJsonString().Trim('"');

    private static string Tool(params string[] args)
    {
        var outcome = TestMachines.RunVnvdimm(args);
        Assert.True(outcome.ExitCode == 0, $"vnvdimm {string.Join(' ', args)}: status {outcome.ExitCode}\n{outcome.Stdout}\n{outcome.Stderr}");
        return outcome.Stdout;
    }
}
