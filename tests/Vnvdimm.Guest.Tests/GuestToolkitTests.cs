using System.Buffers.Binary;
using Vnvdimm.Guest.Acpi;
using Vnvdimm.Guest.Dsm;
using Vnvdimm.Guest.Firmware;
using Vnvdimm.Testing;

namespace Vnvdimm.Guest.Tests;

public sealed class GuestToolkitTests
{
    [Fact]
    public void Fw_cfg_reads_by_dma_and_by_port_agree_over_qtest()
    {
        using var dir = new TempFolder();
        using var machine = TestMachines.StartVnvdimm(["-machine", "pc,nvdimm=on", "-m", "256M,slots=2,maxmem=4G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("m0.img")},size=64M", "-device", "nvdimm,memdev=m0"]);
        var fwCfg = new FwCfgClient(machine);
        Assert.Equal("QEMU", fwCfg.Signature());
        Assert.True(fwCfg.HasDma);
        var rsdp = fwCfg.Find("etc/acpi/rsdp")!;
        byte[] byDma = fwCfg.ReadFile("etc/acpi/rsdp");
        machine.Out(FwCfgClient.SelectorPort, 2, rsdp.Key);
        byte[] byPort = [.. Enumerable.Range(0, (int)rsdp.Size).Select(_ => (byte)machine.In(FwCfgClient.DataPort, 1))];
        Assert.Equal(byPort, byDma);
        Assert.StartsWith("RSD PTR ", System.Text.Encoding.ASCII.GetString(byDma));
        Assert.Equal(4096u, fwCfg.Find("etc/acpi/nvdimm-mem")!.Size);
    }

    [Fact]
    public void Nfit_from_vnvdimm_decodes_into_one_dimm()
    {
        using var dir = new TempFolder();
        using var machine = TestMachines.StartVnvdimm(["-machine", "q35,nvdimm=on,nvdimm-persistence=mem-ctrl", "-m", "256M,slots=2,maxmem=4G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("m0.img")},size=64M",
            "-device", "nvdimm,memdev=m0,slot=1,unarmed=on,label-size=128K"]);
        var tables = AcpiTableView.Split(new FwCfgClient(machine).ReadFile("etc/acpi/tables"));
        Assert.Equal(["SRAT", "SSDT", "NFIT", "RSDT"], tables.Select(t => t.Signature));
        var nfit = NfitView.FromTable(tables.Single(t => t.Signature == "NFIT"));
        var spa = Assert.Single(nfit.SpaRanges);
        Assert.Equal(new Guid("66f0d379-b4f3-4074-ac43-0d3318b78cdb"), spa.RangeType);
        Assert.Equal((1UL << 32, (64UL << 20) - (128 << 10)), (spa.Base, spa.Length));
        var map = Assert.Single(nfit.MemoryMaps);
        Assert.Equal(2u, map.Handle);
        Assert.True(map.NotArmed);
        var dcr = Assert.Single(nfit.ControlRegions);
        Assert.Equal((map.ControlRegionIndex, (ushort)0x8086, 0x123457u, (ushort)0x301),
            (dcr.Index, dcr.VendorId, dcr.SerialNumber, dcr.FormatInterfaceCode));
        Assert.Equal("memory_controller", nfit.PersistenceDomain);
    }

    [Fact]
    public void The_fit_read_through_the_dsm_is_the_nfit_body()
    {
        using var dir = new TempFolder();
        using var machine = TestMachines.StartVnvdimm(["-machine", "pc,nvdimm=on,nvdimm-persistence=cpu", "-m", "256M,slots=4,maxmem=4G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("m0.img")},size=64M", "-device", "nvdimm,memdev=m0",
            "-object", $"memory-backend-file,id=m1,share=on,mem-path={dir.File("m1.img")},size=64M", "-device", "nvdimm,memdev=m1,slot=3"]);
        var nfit = AcpiTableView.Split(new FwCfgClient(machine).ReadFile("etc/acpi/tables")).Single(t => t.Signature == "NFIT");
        var dsm = new DsmClient(machine, 0x100000);
        // Cold-plugged devices leave the FIT marked changed: a read at a non-zero offset first says so.
        Assert.Equal(0x100u, dsm.ReadFit(8).Status);
        byte[] fit = dsm.ReadWholeFit();
        Assert.Equal(nfit.Body[4..].ToArray(), fit);
        Assert.Equal(2 * (56 + 48 + 80) + 16, fit.Length);
    }

    [Fact]
    public void Unknown_structures_are_skipped_by_length_and_bad_lengths_refused()
    {
        var fit = new byte[16 + 16];
        BinaryPrimitives.WriteUInt16LittleEndian(fit, 0x55);
        BinaryPrimitives.WriteUInt16LittleEndian(fit.AsSpan(2), 16);
        BinaryPrimitives.WriteUInt16LittleEndian(fit.AsSpan(16), 7);
        BinaryPrimitives.WriteUInt16LittleEndian(fit.AsSpan(18), 16);
        BinaryPrimitives.WriteUInt32LittleEndian(fit.AsSpan(24), 3);
        var view = NfitView.FromFit(fit);
        Assert.Equal([(ushort)0x55, (ushort)7], view.Structures.Select(s => s.Type));
        Assert.Equal("cpu_cache", view.PersistenceDomain);

        BinaryPrimitives.WriteUInt16LittleEndian(fit.AsSpan(18), 40);
        Assert.Equal("NFIT structure at offset 16 has bad length 40", Assert.Throws<InvalidDataException>(() => NfitView.FromFit(fit)).Message);
        BinaryPrimitives.WriteUInt16LittleEndian(fit.AsSpan(2), 2);
        Assert.Equal("NFIT structure at offset 0 has bad length 2", Assert.Throws<InvalidDataException>(() => NfitView.FromFit(fit)).Message);
    }

    [Fact]
    public void Flush_hints_interleave_and_block_windows_decode()
    {
        var fit = new byte[32 + 24 + 40];
        BinaryPrimitives.WriteUInt16LittleEndian(fit, NfitStructureView.FlushHint);
        BinaryPrimitives.WriteUInt16LittleEndian(fit.AsSpan(2), 32);
        BinaryPrimitives.WriteUInt32LittleEndian(fit.AsSpan(4), 0x1);
        BinaryPrimitives.WriteUInt16LittleEndian(fit.AsSpan(8), 2);
        BinaryPrimitives.WriteUInt64LittleEndian(fit.AsSpan(16), 0xfee0_0000);
        BinaryPrimitives.WriteUInt64LittleEndian(fit.AsSpan(24), 0xfee0_1000);
        var il = fit.AsSpan(32);
        BinaryPrimitives.WriteUInt16LittleEndian(il, NfitStructureView.Interleave);
        BinaryPrimitives.WriteUInt16LittleEndian(il[2..], 24);
        BinaryPrimitives.WriteUInt16LittleEndian(il[4..], 9);
        BinaryPrimitives.WriteUInt32LittleEndian(il[8..], 2);
        BinaryPrimitives.WriteUInt32LittleEndian(il[12..], 256);
        BinaryPrimitives.WriteUInt32LittleEndian(il[16..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(il[20..], 4);
        var bdw = fit.AsSpan(56);
        BinaryPrimitives.WriteUInt16LittleEndian(bdw, NfitStructureView.BlockDataWindow);
        BinaryPrimitives.WriteUInt16LittleEndian(bdw[2..], 40);
        BinaryPrimitives.WriteUInt16LittleEndian(bdw[4..], 3);
        BinaryPrimitives.WriteUInt64LittleEndian(bdw[16..], 8192);
        var view = NfitView.FromFit(fit);
        var hint = Assert.Single(view.FlushHints);
        Assert.Equal(0x1u, hint.Handle);
        Assert.Equal([0xfee0_0000UL, 0xfee0_1000UL], hint.Addresses);
        var interleave = Assert.Single(view.Interleaves);
        Assert.Equal((9, 256u), (interleave.Index, interleave.LineSize));
        Assert.Equal([0u, 4u], interleave.LineOffsets);
        Assert.Equal((3, 8192UL), (Assert.Single(view.BlockDataWindows).ControlRegionIndex, view.BlockDataWindows.Single().Size));
    }

    [Fact]
    public void Table_split_stops_at_padding_and_checks_checksums()
    {
        var blob = new byte[200];
        "TEST"u8.CopyTo(blob);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), 40);
        blob[39] = 0x10;
        var tables = AcpiTableView.Split(blob);
        var t = Assert.Single(tables);
        Assert.False(t.ChecksumValid);
        blob[9] = (byte)-blob.AsSpan(0, 40).ToArray().Aggregate(0, (sum, b) => sum + b);
        Assert.True(AcpiTableView.Split(blob)[0].ChecksumValid);
    }
}
