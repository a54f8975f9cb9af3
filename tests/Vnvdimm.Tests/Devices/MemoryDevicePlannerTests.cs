using Vnvdimm.Devices;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;
using Vnvdimm.Platform;

namespace Vnvdimm.Tests.Devices;

public sealed class MemoryDevicePlannerTests
{
    private const ulong M = 1UL << 20, G = 1UL << 30;

    private static readonly MachineOptions Machine = MachineOptions.Default with { Nvdimm = true };

    private static MemoryDevicePlanner Planner(uint slots = 4, ulong maxmem = 16 * G, IEnumerable<string>? busy = null) =>
        new(MemoryLayout.Create(Machine, new MemoryOptions(2 * G, slots, maxmem)), Machine, 1, busy ?? []);

    private static Dictionary<string, BackendDescriptor> Backends(params (string Id, ulong Size, ulong Align)[] list) =>
        list.ToDictionary(b => b.Id, b => BackendDescriptor.From(new BackendOptions(b.Id, b.Size, true, $"/{b.Id}.img", b.Align)));

    private static NvdimmOptions Device(string memdev, ulong label = 0, int? slot = null, ulong addr = 0, string? id = null, bool unarmed = false) =>
        new(id, memdev, label, unarmed, Guid.Empty, slot, 0, addr, $"-device nvdimm,memdev={memdev}");

    [Fact]
    public void Region_is_the_backend_less_labels_aligned_down()
    {
        var backends = Backends(("a", G, 2 * M));
        var p = Planner().Place(Device("a", label: 128 << 10), backends);
        Assert.Equal(G - 2 * M, p.Range.Size);
        Assert.Equal(4 * G, p.Range.Base);
        Assert.Equal(0, p.Slot);
        Assert.Equal(1u, p.Handle);
    }

    [Fact]
    public void First_fit_skips_past_placed_devices_with_alignment()
    {
        var backends = Backends(("a", 100 * M, 0), ("b", 64 * M, 2 * M), ("c", 2 * M, 0));
        var planner = Planner();
        var a = planner.Place(Device("a", slot: 2), backends);
        var b = planner.Place(Device("b"), backends);
        var c = planner.Place(Device("c", addr: 4 * G + 200 * M), backends);
        Assert.Equal((2, 4 * G), (a.Slot, a.Range.Base));
        Assert.Equal((0, 4 * G + 100 * M), (b.Slot, b.Range.Base)); // 100 MiB is 2 MiB aligned already
        Assert.Equal((1, 4 * G + 200 * M), (c.Slot, c.Range.Base));
    }

    [Fact]
    public void Gap_between_devices_is_reused()
    {
        var backends = Backends(("a", 64 * M, 0), ("b", 64 * M, 0), ("c", 32 * M, 0));
        var planner = Planner();
        planner.Place(Device("a"), backends);
        planner.Place(Device("b", addr: 4 * G + 128 * M), backends);
        Assert.Equal(4 * G + 64 * M, planner.Place(Device("c"), backends).Range.Base);
    }

    [Theory]
    [InlineData(1UL << 29, "is too small to contain nvdimm label")]
    public void Label_area_must_leave_pmem(ulong label, string phrase)
    {
        var e = Assert.Throws<ConfigurationException>(() => Planner().Place(Device("a", label: label), Backends(("a", 512 * M, G))));
        Assert.Contains(phrase, e.Message);
        Assert.Equal("-device nvdimm,memdev=a", e.Location);
    }

    [Fact]
    public void Memdev_used_as_numa_ram_is_busy() =>
        Assert.Contains("can't use already busy memdev: a",
            Assert.Throws<ConfigurationException>(() => Planner(busy: ["a"]).Place(Device("a"), Backends(("a", G, 0)))).Message);

    [Fact]
    public void Fragmentation_is_reported()
    {
        // Device memory is [4 GiB, 10.5 GiB): a 4 GiB device aligned to 4 GiB fits the budget but, with
        // 4 GiB taken by a small device, only at 8 GiB, where it would end past the region.
        var planner = Planner(slots: 2, maxmem: 6 * G + 512 * M);
        var backends = Backends(("a", 512 * M, 0), ("b", 4 * G, 4 * G));
        planner.Place(Device("a", addr: 4 * G), backends);
        Assert.Contains("could not find position", Assert.Throws<ConfigurationException>(() => planner.Place(Device("b"), backends)).Message);
    }
}
