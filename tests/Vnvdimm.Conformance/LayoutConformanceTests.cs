using Vnvdimm.Cli.Layout;
using Vnvdimm.Guest;
using Vnvdimm.Testing;

namespace Vnvdimm.Conformance;

/// <summary>
/// The layout planner's numbers against QEMU's: for every configuration of the suite, each NVDIMM's
/// guest address, PMEM size, NFIT handle and device names must be those of QEMU's NFIT for the same
/// options, and a label written through QEMU's DSM must land in the file at the predicted offset.
/// </summary>
public sealed class LayoutConformanceTests
{
    [SkippableTheory]
    [MemberData(nameof(MachineConfigurations.Names), MemberType = typeof(MachineConfigurations))]
    public void The_planned_layout_is_qemus(string name)
    {
        TestMachines.RequireQemu();
        var configuration = MachineConfigurations.ByName(name);
        using var dir = new TempFolder();
        string[] args = configuration.Arguments(dir);
        var before = Listing(dir);
        var report = LayoutPlanner.Plan(args);
        Assert.Equal(before, Listing(dir)); // the planner creates, grows and writes nothing (contents: the tool tests)

        var marks = new Dictionary<string, byte[]>();
        using (var qemu = TestMachines.StartQemu(args))
        {
            var guest = NvdimmGuest.Boot(qemu);
            var dimms = guest.Topology?.Dimms ?? [];
            var regions = guest.Topology?.Regions ?? [];
            Assert.Equal(regions.Count, report.Nvdimms.Count);
            foreach (var region in regions)
            {
                var dimm = region.Mappings[0].Dimm;
                var planned = Assert.Single(report.Nvdimms, n => n.NfitHandle == dimm.Handle);
                Assert.Equal((region.Spa.Base, region.Spa.Length, region.Mappings[0].Size), (planned.Address, planned.PmemSize, planned.PmemSize));
                Assert.Equal((dimm.Device, region.Device), (planned.Dev, planned.Region));
                Assert.Equal(planned.Slot + 1, (int)planned.NfitHandle);

                // A mark at each end of the label area, written by QEMU, must sit where the plan says.
                if (planned.LabelSize == 0 || planned.MemPath is null || planned.ReadOnly
                    || planned.Warnings.Any(w => w.Kind == WarningKind.WritesDiscarded))
                    continue;
                var mark = Guid.NewGuid().ToByteArray();
                Assert.Equal(0u, guest.Dsm!.SetLabelData(dimm.Handle, 0, mark).Status);
                Assert.Equal(0u, guest.Dsm.SetLabelData(dimm.Handle, (uint)planned.LabelSize - 16, mark).Status);
                marks[planned.Memdev] = mark;
            }
        }
        foreach (var planned in report.Nvdimms.Where(n => marks.ContainsKey(n.Memdev)))
        {
            using var file = File.OpenHandle(planned.MemPath!);
            var first = new byte[16];
            var last = new byte[16];
            RandomAccess.Read(file, first, (long)planned.LabelOffset);
            RandomAccess.Read(file, last, (long)(planned.LabelOffset + planned.LabelSize - 16));
            Assert.Equal(marks[planned.Memdev], first);
            Assert.Equal(marks[planned.Memdev], last);
        }
    }

    /// <summary>Orchestrators keep guests on older machine types; the planner reads them by 7.2's rules, which must hold.</summary>
    [SkippableTheory]
    [InlineData("pc-i440fx-2.4")]
    [InlineData("pc-i440fx-2.12")]
    [InlineData("pc-i440fx-4.2")]
    [InlineData("pc-i440fx-6.2")]
    [InlineData("pc-q35-2.4")]
    [InlineData("pc-q35-5.2")]
    [InlineData("pc-q35-7.1")]
    public void Older_machine_types_are_laid_out_as_qemu_does(string type)
    {
        TestMachines.RequireQemu();
        using var dir = new TempFolder();
        string[] args = ["-machine", $"{type},nvdimm=on", "-m", "3584M,slots=3,maxmem=16G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.Sparse("m0.img", 1L << 30)},size=1G,align=2M",
            "-object", $"memory-backend-file,id=m1,share=on,mem-path={dir.Sparse("m1.img", 300L << 20)},size=300M",
            "-device", "nvdimm,memdev=m1,label-size=128K", "-device", "nvdimm,id=nv0,memdev=m0,slot=2,label-size=256K"];
        var report = LayoutPlanner.Plan(args);
        Assert.Contains(report.Notes, n => n.Contains(type, StringComparison.Ordinal));
        using var qemu = TestMachines.StartQemu(args);
        var regions = NvdimmGuest.Boot(qemu).Topology!.Regions;
        Assert.Equal(
            regions.Select(r => (r.Mappings[0].Dimm.Handle, r.Spa.Base, r.Spa.Length)).Order(),
            report.Nvdimms.Select(n => (n.NfitHandle, n.Address, n.PmemSize)).Order());
    }

    // Names, lengths and modification times: hashing gigabytes of sparse files would cost more than the test.
    private static string Listing(TempFolder dir) =>
        string.Join("\n", Directory.EnumerateFiles(dir.Path).Order().Select(f => $"{f} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f):O}"));
}
