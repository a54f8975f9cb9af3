using System.Text.Json;
using System.Text.Json.Nodes;
using Vnvdimm.Cli.Tools.Targets;
using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Namespaces;
using Vnvdimm.Guest.Namespaces.Pfn;
using Vnvdimm.Guest.Ndctl;
using Vnvdimm.Testing;

namespace Vnvdimm.Guest.Tests;

/// <summary>The fsdax/devdax info block: checked against blocks Linux 6.1 wrote, then over many geometries.</summary>
public sealed class PfnTests
{
    private const ulong M = 1UL << 20, G = 1UL << 30;
    private static readonly Guid Parent = Guid.Parse("0c0ffee0-1111-4222-8333-444455556666");

    public static TheoryData<string, string> LinuxNamespaces => new()
    {
        { "labels-v1.1", "linux-fsdax" }, { "labels-v1.1", "linux-devdax" }, { "labels-v1.1", "linux-fsdax-mem" },
        { "labels-v1.2", "linux-fsdax" }, { "labels-v1.2", "linux-devdax" }, { "labels-v1.2", "linux-fsdax-mem" },
        { "labelless-fsdax", "" }, { "labelless-devdax", "" },
    };

    /// <summary>Each info block Linux wrote is, byte for byte, the one our planner makes from the same namespace and options.</summary>
    [Theory]
    [MemberData(nameof(LinuxNamespaces))]
    public void Linux_made_info_blocks_are_the_ones_we_plan(string fixture, string labelName)
    {
        using var dir = new TempFolder();
        string path = LinuxFixtures.Unpack(dir, fixture);
        var (offset, size, start, parent) = Locate(path, fixture, labelName);
        byte[] linux = ReadAt(path, offset + PfnInfoBlock.Offset, PfnInfoBlock.Size);
        var (block, problem) = PfnInfoBlock.Parse(linux);
        Assert.Null(problem);

        var planned = PfnLayout.Plan(block!.Kind, block.Uuid, parent, start, size, block.Map, block.Align);
        Assert.Equal(Convert.ToHexString(linux), Convert.ToHexString(planned.ToBytes()));
        Assert.Null(PfnLayout.Problem(planned, parent, start, size));
    }

    /// <summary>What we list for each namespace Linux made equals what ndctl listed, field for field (sorted by device).</summary>
    [Theory]
    [InlineData("labels-v1.1")]
    [InlineData("labels-v1.2")]
    public void Listings_of_the_namespaces_linux_made_equal_ndctls(string fixture)
    {
        using var dir = new TempFolder();
        string path = LinuxFixtures.Unpack(dir, fixture);
        var region = OfflineRegion.InSlot(130 * M, 0);
        using var storage = new FileLabelStorage(path, LinuxFixtures.LabelSize, writable: false);
        using var media = new FileRegionMedia(path, region.Spa.Length, writable: false);
        var problems = new List<string>();
        var (ours, _) = NdctlListing.Namespaces(region, new LabelStore(storage).Load(), media, problems);

        Assert.Empty(problems);
        var linux = LinuxFixtures.Namespaces(LinuxFixtures.Listing(fixture), "region0");
        Assert.Equal(linux.Select(n => n.ToJsonString()), ours.OrderBy(n => n.Dev, StringComparer.Ordinal).Select(Json));
    }

    [Theory]
    [InlineData("labelless-fsdax", "region1", LinuxFixtures.Slot2Base)]
    [InlineData("labelless-devdax", "region2", LinuxFixtures.Slot1Base)]
    public void Label_less_namespaces_linux_made_list_as_ndctl_listed_them(string fixture, string regionName, ulong regionBase)
    {
        using var dir = new TempFolder();
        string path = LinuxFixtures.Unpack(dir, fixture);
        using var media = new FileRegionMedia(path, 64 * M, writable: false);
        var content = NamespaceProbe.Read(media, NamespaceExtent.LabelLess(64 * M, regionBase));
        var ours = NdctlNamespace.From(int.Parse(regionName["region".Length..]), 0, content, null);
        Assert.Equal(Assert.Single(LinuxFixtures.Namespaces(LinuxFixtures.Listing("labels-v1.2"), regionName)).ToJsonString(), Json(ours));
    }

    /// <summary>Over sizes, alignments, maps and starts: a plan is refused exactly when Linux could not map it, and otherwise holds.</summary>
    [Fact]
    public void Plans_hold_linuxs_arithmetic_over_many_geometries()
    {
        ulong[] sizes = [4 * M, 8 * M, 16 * M, 18 * M, 30 * M, 32 * M, 126 * M, G, G + 2 * M, 3 * G, 64 * G, 1UL << 40];
        ulong[] starts = [4 * G, 4 * G + 2 * M, 5 * G + 16 * M, 6 * G];
        int planned = 0;
        foreach (ulong size in sizes)
            foreach (ulong align in PfnLayout.Alignments)
                foreach (var map in new[] { PfnMap.Mem, PfnMap.Dev })
                    foreach (ulong start in starts)
                        foreach (var kind in new[] { PfnKind.Pfn, PfnKind.Dax })
                        {
                            PfnInfoBlock block;
                            try
                            {
                                block = PfnLayout.Plan(kind, Guid.NewGuid(), Parent, start, size, map, align);
                            }
                            catch (InvalidOperationException refused)
                            {
                                Assert.True(size % align != 0 || TooSmall(start, size, map, align),
                                    $"refused {size}/{align}/{map}/0x{start:x}: {refused.Message}");
                                continue;
                            }
                            planned++;
                            ulong effective = Math.Max(align, PfnLayout.CompatAlign);
                            Assert.Equal(0UL, (start + block.DataOffset) % effective);
                            Assert.True(block.DataOffset >= PfnLayout.InfoReserve
                                + (map == PfnMap.Dev ? PfnInfoBlock.ReservedStructPageSize * block.PageCount : 0));
                            Assert.Equal(size, block.DataOffset + block.PageCount * PfnLayout.PageSize + block.EndTrunc);
                            Assert.Equal(0UL, (start + size - block.EndTrunc) % effective);
                            Assert.Null(PfnLayout.Problem(block, Parent, start, size));
                            Assert.Equal(block, PfnInfoBlock.Parse(block.ToBytes()).Block);
                        }
        Assert.True(planned > 300, $"only {planned} geometries planned");
    }

    /// <summary>The data cannot start before the end of the reserve plus the page map, rounded to the alignment.</summary>
    private static bool TooSmall(ulong start, ulong size, PfnMap map, ulong align)
    {
        ulong effective = Math.Max(align, PfnLayout.CompatAlign);
        ulong reserve = PfnLayout.InfoReserve + (map == PfnMap.Dev ? 64 * ((size - PfnLayout.InfoReserve) / 4096) : 0);
        ulong offset = (start + reserve + effective - 1) / effective * effective - start;
        return offset >= size - (start + size) % effective;
    }

    [Fact]
    public void A_start_off_the_2M_grid_is_refused_as_linux_refuses_it()
    {
        var refused = Assert.Throws<InvalidOperationException>(
            () => PfnLayout.Plan(PfnKind.Pfn, Guid.NewGuid(), Parent, 4 * G + 130 * M + 128 * 1024, 64 * M, PfnMap.Dev, 2 * M));
        Assert.Contains("not on a 2 MiB boundary", refused.Message);
    }

    [Fact]
    public void Any_changed_byte_breaks_the_checksum_and_a_foreign_parent_is_refused()
    {
        var block = PfnLayout.Plan(PfnKind.Dax, Guid.NewGuid(), Parent, 4 * G, 64 * M, PfnMap.Dev, 2 * M);
        byte[] bytes = block.ToBytes();
        for (int at = 16; at < PfnInfoBlock.Size; at += 97)
        {
            byte[] changed = (byte[])bytes.Clone();
            changed[at] ^= 0x40;
            var (parsed, problem) = PfnInfoBlock.Parse(changed);
            Assert.Null(parsed);
            Assert.Contains("checksum", problem);
        }
        Assert.Contains("parent uuid", PfnLayout.Problem(block, Guid.NewGuid(), 4 * G, 64 * M));
        Assert.Contains("parent uuid", PfnLayout.Problem(block, Guid.Empty, 4 * G, 64 * M));
        var squeezed = block with { DataOffset = 2 * M, Map = PfnMap.Dev };
        Assert.Null(PfnLayout.Problem(squeezed, Parent, 4 * G, 64 * M));
        Assert.Contains("struct pages", PfnLayout.Problem(block with { DataOffset = 2 * M }, Parent, 4 * G, 1 * G));
        Assert.Contains("not aligned", PfnLayout.Problem(block with { DataOffset = 3 * M }, Parent, 4 * G, 64 * M));
    }

    private static string Json(NdctlNamespace entry) =>
        JsonNode.Parse(JsonSerializer.Serialize(entry, NdctlJsonContext.Default.NdctlNamespace))!.ToJsonString();

    /// <summary>The namespace named <paramref name="labelName"/> in a fixture (the whole region for label-less ones).</summary>
    private static (ulong Offset, ulong Size, ulong Start, Guid Parent) Locate(string path, string fixture, string labelName)
    {
        if (labelName.Length == 0)
            return (0, 64 * M, fixture == "labelless-fsdax" ? LinuxFixtures.Slot2Base : LinuxFixtures.Slot1Base, Guid.Empty);
        using var storage = new FileLabelStorage(path, LinuxFixtures.LabelSize, writable: false);
        var label = new LabelStore(storage).Load().Labels.Single(l => l.Name == labelName);
        return (label.Dpa, label.RawSize, LinuxFixtures.Slot0Base + label.Dpa, label.Uuid);
    }

    private static byte[] ReadAt(string path, ulong offset, int length)
    {
        using var file = File.OpenHandle(path);
        var data = new byte[length];
        RandomAccess.Read(file, data, (long)offset);
        return data;
    }
}
