using Vnvdimm.Dsm;
using Vnvdimm.HostMemory;
using Vnvdimm.Testing;
using static Vnvdimm.Tests.Dsm.DsmMachine;

namespace Vnvdimm.Tests.Dsm;

public sealed class DsmDispatcherTests
{
    private const int LabelTail = 128 << 10;

    private static byte[] LabelAreaOf(string file) => File.ReadAllBytes(file)[^LabelTail..];

    [Fact]
    public void Zero_length_label_transfers_succeed_with_no_data_where_qemu_aborts()
    {
        using var m = new DsmMachine();
        var get = m.Call(1, DsmFunction.GetLabelData, Args(100, 0));
        Assert.Equal((8u, DsmStatus.Success), (Len(get), Status(get)));
        var set = m.Call(1, DsmFunction.SetLabelData, Args(LabelTail, 0));
        Assert.Equal((8u, DsmStatus.Success), (Len(set), Status(set)));
    }

    [Fact]
    public void Label_write_on_a_readonly_backend_is_not_supported_and_changes_nothing()
    {
        using var scratch = new Scratch();
        string file = scratch.File("ro.img");
        var content = new byte[8 << 20];
        content[^LabelTail] = 0x77;
        File.WriteAllBytes(file, content);
        using var m = new DsmMachine("share=on,readonly=on", "label-size=128K,unarmed=on", file);
        var set = m.Call(1, DsmFunction.SetLabelData, Args(0, 4, 1, 2, 3, 4));
        Assert.Equal((8u, DsmStatus.NotSupported), (Len(set), Status(set)));
        var get = m.Call(1, DsmFunction.GetLabelData, Args(0, 4));
        Assert.Equal((12u, DsmStatus.Success, (byte)0x77), (Len(get), Status(get), get[8]));
        Assert.Equal(content, File.ReadAllBytes(file));
    }

    [Fact]
    public void Set_then_get_round_trips_and_a_shared_file_holds_the_bytes()
    {
        using var m = new DsmMachine();
        byte[] data = [.. Enumerable.Range(0, 4076).Select(i => (byte)(i * 7))];
        var set = m.Call(1, DsmFunction.SetLabelData, Args(LabelTail - 4076, 4076, data));
        Assert.Equal(DsmStatus.Success, Status(set));
        var get = m.Call(1, DsmFunction.GetLabelData, Args(LabelTail - 4076, 4076));
        Assert.Equal((8u + 4076, DsmStatus.Success), (Len(get), Status(get)));
        Assert.Equal(data, get[8..]);
        Assert.Equal(data, LabelAreaOf(m.BackingFile)[^4076..]);
    }

    [Fact]
    public void A_private_backend_keeps_label_writes_in_memory_only()
    {
        using var m = new DsmMachine(backendExtra: "share=off");
        Assert.Equal(DsmStatus.Success, Status(m.Call(1, DsmFunction.SetLabelData, Args(0, 3, 9, 8, 7))));
        Assert.Equal(new byte[] { 9, 8, 7 }, m.Call(1, DsmFunction.GetLabelData, Args(0, 3))[8..]);
        Assert.All(LabelAreaOf(m.BackingFile), b => Assert.Equal(0, b));
        Assert.Equal(WriteDurability.Volatile, m.Machine.Backends[0].Durability);
    }

    // Which flushes run, and that they return before the answer, is DurabilityTraceTests' to see (tests/Vnvdimm.Cli.Tests).
    [SkippableFact]
    public void Pmem_backend_on_a_page_cache_file_chooses_libpmem_then_msync()
    {
        Prerequisite.Require(Libpmem.TryLoad(Libpmem.ConfiguredName) is not null, Prerequisite.LibpmemMissing);
        using var m = new DsmMachine(backendExtra: "share=on,pmem=on");
        Assert.Equal(WriteDurability.LibpmemThenMsync, m.Machine.Backends[0].Durability);
        Assert.Equal(DsmStatus.Success, Status(m.Call(1, DsmFunction.SetLabelData, Args(10, 2, 0xab, 0xcd))));
        Assert.Equal(new byte[] { 0xab, 0xcd }, LabelAreaOf(m.BackingFile)[10..12]);
    }

    [Theory]
    [InlineData(0u, 0x1000u)]          // past the 128 KiB area by offset
    [InlineData(0x1fffu, 0x20000u)]    // past by length
    [InlineData(0xffffff00u, 0x200u)]  // offset + length wraps 32 bits
    [InlineData(0u, 4077u)]            // above the maximum transfer
    public void Invalid_ranges_get_status_3(uint offset, uint length)
    {
        using var m = new DsmMachine();
        uint at = offset == 0 && length == 0x1000 ? LabelTail : offset;
        Assert.Equal(DsmStatus.InvalidInput, Status(m.Call(1, DsmFunction.GetLabelData, Args(at, length))));
        Assert.Equal(DsmStatus.InvalidInput, Status(m.Call(1, DsmFunction.SetLabelData, Args(at, length))));
    }

    [Fact]
    public void Read_fit_reports_a_change_during_a_read_sequence()
    {
        using var m = new DsmMachine();
        // Cold-plugged NVDIMMs leave the FIT marked changed, as in QEMU: only offset 0 starts a sequence.
        Assert.Equal(DsmStatus.FitChanged, Status(m.Call(0x10000, DsmFunction.ReadFit, Args(8, 0))));
        var first = m.Call(0x10000, DsmFunction.ReadFit, Args(0, 0));
        Assert.Equal((8u + 184, DsmStatus.Success), (Len(first), Status(first)));
        Assert.Equal(DsmStatus.Success, Status(m.Call(0x10000, DsmFunction.ReadFit, Args(8, 0))));
        m.Machine.Fit.Publish(first[8..]);
        Assert.Equal(DsmStatus.FitChanged, Status(m.Call(0x10000, DsmFunction.ReadFit, Args(8, 0))));
        Assert.Equal(DsmStatus.InvalidInput, Status(m.Call(0x10000, DsmFunction.ReadFit, Args(185, 0))));
        var end = m.Call(0x10000, DsmFunction.ReadFit, Args(0, 0));
        Assert.Equal(8u, Len(m.Call(0x10000, DsmFunction.ReadFit, Args(184, 0))));
        Assert.Equal(DsmStatus.Success, Status(end));
    }

    [Fact]
    public void Function_zero_bitmaps()
    {
        using var m = new DsmMachine();
        Assert.Equal(0x71u, Status(m.Call(1, 0)));
        Assert.Equal(0u, Status(m.Call(0, 0)));
        Assert.Equal(3u, Status(m.Call(0x10000, 0)));
        Assert.Equal(0u, Status(m.Call(2, 0)));
        Assert.Equal(DsmStatus.NoSuchDevice, Status(m.Call(2, 4)));
        Assert.Equal(DsmStatus.NotSupported, Status(m.Call(1, 0, revision: 2)));
        using var noLabels = new DsmMachine(deviceExtra: "unarmed=off");
        Assert.Equal(0u, Status(noLabels.Call(1, 0)));
        Assert.Equal(DsmStatus.NotSupported, Status(noLabels.Call(1, 4)));
    }

    [Fact]
    public void Narrow_port_writes_are_ignored_and_reads_return_zero()
    {
        using var m = new DsmMachine();
        // A 4-byte write of 0x1000 would answer there (len 8, status "not supported" for revision 0).
        m.Machine.Io.Write(0x0a18, 2, 0x1000);
        m.Machine.Io.Write(0x0a18, 1, 0x10);
        var head = new byte[8];
        m.Machine.Memory.Read(0x1000, head);
        Assert.All(head, b => Assert.Equal(0, b));
        m.Machine.Io.Write(0x0a18, 4, 0x1000);
        m.Machine.Memory.Read(0x1000, head);
        Assert.Equal((8u, DsmStatus.NotSupported), (Len(head), Status(head)));
        Assert.Equal(0u, m.Machine.Io.Read(0x0a18, 4));
    }
}
