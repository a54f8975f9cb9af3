using Vnvdimm.Devices;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;
using Vnvdimm.Platform;
using Vnvdimm.Vmm;

namespace Vnvdimm.Tests.Acpi;

/// <summary>
/// Tables for "-machine pc,nvdimm=on -m 2G,slots=4,maxmem=8G" with one 1 GiB file NVDIMM and a
/// 128 KiB label area, against the bytes QEMU 7.2 produced for that command line (captured
/// through fw_cfg; the conformance tests compare live against QEMU for many more machines).
/// </summary>
public sealed class QemuReferenceTablesTests
{
    private const string QemuNfit =
        "4e464954e00000000100424f4348532042585043202020200100000042585043" +
        "01000000000000000000380002000300000000000000000079d3f066f3b47440" +
        "ac430d3318b78cdb00000000010000000000fe3f000000000880000000000000" +
        "010030000100000000000000020003000000fe3f000000000000000000000000" +
        "0000000000000000000001000000000004005000030086800100010000000000" +
        "0000000000000000563412000103000000000000000000000000000000000000" +
        "0000000000000000000000000000000000000000000000000000000000000000";

    private const string QemuSrat =
        "53524154e00000000100424f4348532042585043202020200100000042585043" +
        "0100000001000000000000000000000000100000010000000000000000000000" +
        "0128000000000000000000000000000000000a00000000000000000001000000" +
        "0000000000000000012800000000000000001000000000000000f07f00000000" +
        "0000000001000000000000000000000001280000000000000000000001000000" +
        "0000fe3f00000000000000000500000000000000000000000128000000000000" +
        "0000000001000000000000800200000000000000030000000000000000000000";

    private static (MemoryLayout Layout, NvdimmPlacement Device) Machine()
    {
        var memory = new MemoryOptions(2UL << 30, 4, 8UL << 30);
        var machine = MachineOptions.Default with { Nvdimm = true };
        var layout = MemoryLayout.Create(machine, memory);
        var backend = BackendDescriptor.From(new BackendOptions("m0", 1UL << 30, true, "/unused.img"));
        var planner = new MemoryDevicePlanner(layout, machine, 1, []);
        var device = planner.Place(new NvdimmOptions("n0", "m0", 128UL << 10, false, Guid.Empty, null, 0, 0, "-device nvdimm"),
            new Dictionary<string, BackendDescriptor> { ["m0"] = backend });
        return (layout, device);
    }

    [Fact]
    public void Nfit_equals_qemus()
    {
        var (_, device) = Machine();
        Assert.Equal(QemuNfit, Convert.ToHexStringLower(MachineAcpi.BuildNfit([device], PersistenceDomain.Unset).ToBytes()));
    }

    [Fact]
    public void Srat_equals_qemus()
    {
        var (layout, device) = Machine();
        Assert.Equal(QemuSrat, Convert.ToHexStringLower(MachineAcpi.BuildSrat(layout, [layout.RamSize], [device], true).ToBytes()));
    }

    [Theory]
    [InlineData(PersistenceDomain.Cpu, "0700100001000000" + "0300000000000000")]
    [InlineData(PersistenceDomain.MemoryController, "0700100001000000" + "0200000000000000")]
    public void Platform_capabilities_close_the_nfit(PersistenceDomain persistence, string expected)
    {
        var (_, device) = Machine();
        byte[] nfit = MachineAcpi.BuildNfit([device], persistence).ToBytes();
        Assert.Equal(0xe0 + 16, nfit.Length);
        Assert.Equal(expected, Convert.ToHexStringLower(nfit.AsSpan(0xe0)));
    }
}
