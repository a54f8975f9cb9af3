using System.Text.Json;
using Vnvdimm.Guest;
using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Ndctl;
using Vnvdimm.Testing;

namespace Vnvdimm.Conformance;

/// <summary>
/// The guest toolkit booted on QEMU and on vnvdimm: the loader runs on both, every table checksums,
/// and the ndctl-style view (DIMMs, regions, persistence domain, cookies, namespaces) is the same.
/// </summary>
public sealed class GuestViewConformanceTests
{
    [SkippableTheory]
    [MemberData(nameof(MachineConfigurations.Names), MemberType = typeof(MachineConfigurations))]
    public void The_toolkit_sees_the_same_machine_on_qemu_and_vnvdimm(string name)
    {
        TestMachines.RequireQemu();
        var configuration = MachineConfigurations.ByName(name);
        using var qemuDir = new TempFolder();
        using var ourDir = new TempFolder();
        string expected, actual;
        bool qemuHasDsm, ourHasDsm;
        using (var qemu = TestMachines.StartQemu(configuration.Arguments(qemuDir)))
        {
            var guest = NvdimmGuest.Boot(qemu);
            Assert.All(guest.Tables, t => Assert.True(t.Table.ChecksumValid, t.Table.Signature));
            qemuHasDsm = guest.Dsm is not null;
            expected = JsonSerializer.Serialize(NdctlListing.From(guest), NdctlJsonContext.Default.NdctlListing);
        }
        using (var ours = TestMachines.StartVnvdimm(configuration.Arguments(ourDir)))
        {
            var guest = NvdimmGuest.Boot(ours);
            Assert.All(guest.Tables, t => Assert.True(t.Table.ChecksumValid, t.Table.Signature));
            ourHasDsm = guest.Dsm is not null;
            actual = JsonSerializer.Serialize(NdctlListing.From(guest), NdctlJsonContext.Default.NdctlListing);
        }
        Assert.Equal(qemuHasDsm, ourHasDsm);
        Assert.Equal(expected, actual);
    }

    [SkippableFact]
    public void Labels_written_through_qemus_dsm_read_offline_and_ours_read_through_qemu()
    {
        TestMachines.RequireQemu();
        using var dir = new TempFolder();
        string[] args =
        [
            "-machine", "pc,nvdimm=on", "-m", "256M,slots=2,maxmem=4G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("m0.img")},size=130M",
            "-device", "nvdimm,id=nv0,memdev=m0,label-size=256K",
        ];
        var first = Guid.NewGuid();
        using (var qemu = TestMachines.StartQemu(args))
        {
            var guest = NvdimmGuest.Boot(qemu);
            var region = guest.Topology!.Regions[0];
            var store = guest.Labels(region.Mappings[0].Dimm)!;
            store.Initialize(LabelVersion.V1_2);
            store.Create(new NamespaceRequest(32 << 20, "by-qemu", first),
                region.Mappings[0].Size, region.Alignment, region.Cookie2, region.Spa.RangeType);
        }

        using (var file = new FileLabelStorage(dir.File("m0.img"), 256 << 10, writable: true))
        {
            var offline = new LabelStore(file);
            var state = offline.Load();
            Assert.Empty(state.Problems);
            var label = Assert.Single(state.Labels);
            Assert.Equal((first, "by-qemu", 32UL << 20), (label.Uuid, label.Name, label.RawSize));
            offline.Create(new NamespaceRequest(16 << 20, "offline", Guid.NewGuid()),
                128UL << 20, 16 << 20, label.InterleaveSetCookie, label.TypeGuid);
        }

        // QEMU reads what the offline tool wrote, and vnvdimm sees the same as QEMU.
        string viaQemu, viaUs;
        using (var qemu = TestMachines.StartQemu(args))
            viaQemu = JsonSerializer.Serialize(NdctlListing.From(NvdimmGuest.Boot(qemu)), NdctlJsonContext.Default.NdctlListing);
        using (var ours = TestMachines.StartVnvdimm(args))
            viaUs = JsonSerializer.Serialize(NdctlListing.From(NvdimmGuest.Boot(ours)), NdctlJsonContext.Default.NdctlListing);
        Assert.Contains("\"by-qemu\"", viaQemu);
        Assert.Contains("\"offline\"", viaQemu);
        Assert.DoesNotContain("label_problems", viaQemu);
        Assert.Equal(viaQemu, viaUs);
    }
}
