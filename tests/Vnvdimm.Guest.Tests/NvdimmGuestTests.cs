using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Ndctl;
using Vnvdimm.Testing;

namespace Vnvdimm.Guest.Tests;

/// <summary>The booted guest against vnvdimm: loader, tables, topology, labels through the DSM and offline.</summary>
public sealed class NvdimmGuestTests
{
    private static string[] Args(TempFolder dir, string persistence = "cpu") =>
    [
        "-machine", $"pc,nvdimm=on,nvdimm-persistence={persistence}", "-m", "256M,slots=4,maxmem=4G",
        "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("m0.img")},size=130M",
        "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K",
        "-object", $"memory-backend-file,id=m1,share=on,mem-path={dir.File("m1.img")},size=64M",
        "-device", "nvdimm,id=nv1,memdev=m1",
    ];

    [Fact]
    public void Boot_runs_the_loader_verifies_every_table_and_finds_the_dsm_page()
    {
        using var dir = new TempFolder();
        using var machine = TestMachines.StartVnvdimm(Args(dir));
        var guest = NvdimmGuest.Boot(machine);
        Assert.Equal(["RSDT", "SRAT", "SSDT", "NFIT"], guest.Tables.Select(t => t.Table.Signature));
        Assert.All(guest.Tables, t => Assert.True(t.Table.ChecksumValid));
        Assert.NotNull(guest.Dsm);
        Assert.Equal(0UL, guest.Dsm!.PageAddress % 4096);
        Assert.Equal(0u, guest.Dsm.LabelSize(1).Status); // the page the loader patched into MEMA works
        var topology = guest.Topology!;
        Assert.Equal(["nmem0", "nmem1"], topology.Dimms.Select(d => d.Device));
        Assert.Equal("8680-56341200", topology.Dimms[0].Id);
        Assert.Equal(2, topology.Regions.Count);
        Assert.Equal("cpu_cache", topology.Regions[0].PersistenceDomain);
    }

    [Fact]
    public void Labels_written_through_the_dsm_read_back_offline_and_the_reverse()
    {
        using var dir = new TempFolder();
        var uuid = Guid.NewGuid();
        using (var machine = TestMachines.StartVnvdimm(Args(dir)))
        {
            var guest = NvdimmGuest.Boot(machine);
            var region = guest.Topology!.Regions[0];
            var store = guest.Labels(region.Mappings[0].Dimm)!;
            store.Initialize(LabelVersion.V1_2);
            store.Create(new NamespaceRequest(64 << 20, "via-dsm", uuid),
                region.Mappings[0].Size, region.Alignment, region.Cookie2, region.Spa.RangeType);
            var listing = NdctlListing.From(guest);
            var ns = Assert.Single(listing.Regions[0].Namespaces!);
            Assert.Equal(("namespace0.0", "raw", 64UL << 20, uuid.ToString(), "via-dsm", "pmem0"),
                (ns.Dev, ns.Mode, ns.Size, ns.Uuid, ns.Name, ns.Blockdev));
            // Free DPA counts in whole region-alignment units (16 MiB), as Linux counts it.
            Assert.Equal(region.Spa.Length / (16 << 20) * (16 << 20) - (64UL << 20), listing.Regions[0].AvailableSize);
            // The DIMM without a label area: one raw namespace over the region, as Linux's label-less mode.
            Assert.Equal("raw", Assert.Single(listing.Regions[1].Namespaces!).Mode);
        }

        using (var file = new FileLabelStorage(dir.File("m0.img"), 128 << 10, writable: true))
        {
            var offline = new LabelStore(file);
            var label = Assert.Single(offline.Load().Labels);
            Assert.Equal((uuid, "via-dsm"), (label.Uuid, label.Name));
            offline.Create(new NamespaceRequest(16 << 20, "offline", Guid.NewGuid()),
                label.RawSize * 2, 16 << 20, label.InterleaveSetCookie, label.TypeGuid);
        }

        using (var machine = TestMachines.StartVnvdimm(Args(dir)))
        {
            var listing = NdctlListing.From(NvdimmGuest.Boot(machine));
            Assert.Null(listing.LabelProblems);
            Assert.Equal(["via-dsm", "offline"], listing.Regions[0].Namespaces!.Select(n => n.Name));
        }
    }

    [Fact]
    public void Labels_with_another_regions_cookie_are_ignored_and_reported()
    {
        using var dir = new TempFolder();
        using var machine = TestMachines.StartVnvdimm(Args(dir));
        var guest = NvdimmGuest.Boot(machine);
        var region = guest.Topology!.Regions[0];
        var store = guest.Labels(region.Mappings[0].Dimm)!;
        store.Initialize(LabelVersion.V1_2);
        store.Create(new NamespaceRequest(16 << 20, "moved", Guid.NewGuid()),
            region.Mappings[0].Size, region.Alignment, region.Cookie2 + 1, region.Spa.RangeType);
        var listing = NdctlListing.From(guest);
        Assert.Null(listing.Regions[0].Namespaces);
        Assert.Contains(listing.LabelProblems!, p => p.Contains("interleave-set cookie", StringComparison.Ordinal));
    }
}
