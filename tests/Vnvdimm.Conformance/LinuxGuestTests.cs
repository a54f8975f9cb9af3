using System.Text.Json;
using System.Text.Json.Nodes;
using Vnvdimm.Cli.Layout;
using Vnvdimm.Guest;
using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Ndctl;
using Vnvdimm.Testing;

namespace Vnvdimm.Conformance;

/// <summary>
/// A real Linux guest (Debian's 6.1 kernel, its NVDIMM drivers and ndctl, booted by QEMU without KVM)
/// as the judge of our label code: it must accept labels vnvdimm wrote, and what Linux writes must read
/// back exactly; in both directions `ndctl list -DRN` inside Linux must equal the toolkit's listing.
/// </summary>
public sealed class LinuxGuestTests
{
    private static string[] Machine(TempFolder dir, string persistence) =>
    [
        "-machine", $"pc,nvdimm=on,nvdimm-persistence={persistence}", "-m", "512M,slots=2,maxmem=4G",
        "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("nv0.img")},size=130M",
        "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K",
    ];

    [SkippableTheory]
    [InlineData(LabelVersion.V1_2)]
    [InlineData(LabelVersion.V1_1)]
    public void Linux_accepts_the_labels_vnvdimm_writes_through_its_dsm(LabelVersion version)
    {
        Prerequisite.Require(LinuxGuest.Missing);
        using var dir = new TempFolder();
        var uuid = Guid.Parse("11111111-2222-3333-4444-555555555555");
        JsonNode ours;
        using (var machine = TestMachines.StartVnvdimm(Machine(dir, "cpu")))
        {
            var guest = NvdimmGuest.Boot(machine);
            var region = guest.Topology!.Regions[0];
            var store = guest.Labels(region.Mappings[0].Dimm)!;
            store.Initialize(version);
            store.Create(new NamespaceRequest(32 << 20, "by-vnvdimm", uuid), region.Mappings[0].Size, region.Alignment,
                version == LabelVersion.V1_1 ? region.Cookie1 : region.Cookie2, region.Spa.RangeType);
            ours = Listing(guest);
        }
        var linux = BootLinux(dir, "cpu", "list");
        Assert.Equal(uuid.ToString(), linux["regions"]![0]!["namespaces"]![0]!["uuid"]!.GetValue<string>());
        AssertSame(linux, ours);
    }

    [SkippableFact]
    public void Labels_linux_writes_read_back_exactly()
    {
        Prerequisite.Require(LinuxGuest.Missing);
        using var dir = new TempFolder();
        using (var file = File.Create(dir.File("nv0.img")))
            file.SetLength(130L << 20);
        var linux = BootLinux(dir, "mem-ctrl", "create");

        using (var storage = new FileLabelStorage(dir.File("nv0.img"), 128 << 10, writable: false))
        {
            var state = new LabelStore(storage).Load();
            Assert.Empty(state.Problems);
            var label = Assert.Single(state.Labels);
            Assert.Equal(("linux-made", 32UL << 20), (label.Name, label.RawSize));
            Assert.Equal(linux["regions"]![0]!["namespaces"]![0]!["uuid"]!.GetValue<string>(), label.Uuid.ToString());
        }
        using (var machine = TestMachines.StartVnvdimm(Machine(dir, "mem-ctrl")))
            AssertSame(linux, Listing(NvdimmGuest.Boot(machine)));

        // The layout planner reads Linux's label set where the machine keeps it, and warns when options would lose it.
        var same = Assert.Single(LayoutPlanner.Plan(Machine(dir, "mem-ctrl")).Nvdimms);
        Assert.Empty(same.Warnings);
        Assert.Equal((LabelAreaContent.Labels, "linux-made"), (same.LabelArea, Assert.Single(same.Namespaces).Name));
        string[] WithDevice(string device) => [.. Machine(dir, "mem-ctrl")[..^1], device];
        var moved = Assert.Single(LayoutPlanner.Plan(WithDevice("nvdimm,id=nv0,memdev=m0,label-size=256K")).Nvdimms);
        Assert.Contains(moved.Warnings,
            w => w.Kind == WarningKind.LabelsElsewhere && w.Message.Contains("label-size=131072", StringComparison.Ordinal));
        var reslotted = Assert.Single(LayoutPlanner.Plan(WithDevice("nvdimm,id=nv0,memdev=m0,label-size=128K,slot=1")).Nvdimms);
        Assert.Contains(reslotted.Warnings,
            w => w.Kind == WarningKind.LabelsForOtherSlot && w.Message.EndsWith("use slot=0", StringComparison.Ordinal));
    }

    private static JsonNode Listing(NvdimmGuest guest)
    {
        var listing = NdctlListing.From(guest);
        Assert.Null(listing.LabelProblems);
        return JsonNode.Parse(JsonSerializer.Serialize(listing, NdctlJsonContext.Default.NdctlListing))!;
    }

    private static void AssertSame(JsonNode linux, JsonNode ours) =>
        Assert.True(JsonNode.DeepEquals(linux, ours), $"Linux:   {linux.ToJsonString()}\nvnvdimm: {ours.ToJsonString()}");

    /// <summary>Boots the guest on QEMU with the folder's backing file and returns its `ndctl list -DRN`.</summary>
    private static JsonNode BootLinux(TempFolder dir, string persistence, string action) =>
        LinuxGuest.Boot(Machine(dir, persistence), $"vnvdimm.action={action}").Listing;
}
