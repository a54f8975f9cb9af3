using Vnvdimm.Options;
using Vnvdimm.Platform;

namespace Vnvdimm.Tests.Platform;

public sealed class MemoryLayoutTests
{
    private const ulong M = 1UL << 20, G = 1UL << 30;

    [Theory]
    // pc: RAM below 3.5 GiB stays below 4 GiB; from 3.5 GiB on, the split moves to 3 GiB.
    [InlineData(ChipsetKind.Pc, 2 * G, 2 * G, 0UL)]
    [InlineData(ChipsetKind.Pc, 3584 * M - 1, 3584 * M - 1, 0UL)]
    [InlineData(ChipsetKind.Pc, 3584 * M, 3 * G, 512 * M)]
    [InlineData(ChipsetKind.Pc, 8 * G, 3 * G, 5 * G)]
    // q35: below 2.75 GiB stays below; from there the split is at 2 GiB.
    [InlineData(ChipsetKind.Q35, 2 * G, 2 * G, 0UL)]
    [InlineData(ChipsetKind.Q35, 2816 * M, 2 * G, 768 * M)]
    [InlineData(ChipsetKind.Q35, 6 * G, 2 * G, 4 * G)]
    public void Ram_splits_like_qemu(ChipsetKind chipset, ulong ram, ulong below, ulong above)
    {
        var layout = MemoryLayout.Create(MachineOptions.Default with { Chipset = chipset }, new MemoryOptions(ram, 0, ram));
        Assert.Equal((below, above), (layout.BelowFourGig, layout.AboveFourGig));
        Assert.False(layout.HasDeviceMemory);
    }

    [Fact]
    public void Device_memory_starts_at_the_gigabyte_after_ram_and_reserves_a_gigabyte_per_slot()
    {
        var layout = MemoryLayout.Create(MachineOptions.Default, new MemoryOptions(3584 * M + 4 * M, 3, 16 * G));
        // RAM above 4 GiB ends at 4 GiB + 516 MiB: device memory starts at 5 GiB.
        Assert.Equal(new GuestRange(5 * G, 16 * G - (3588 * M) + 3 * G), layout.DeviceMemory);
    }

    [Fact]
    public void Slots_beyond_acpi_limit_are_refused() =>
        Assert.Contains("unsupported amount of memory slots: 257",
            Assert.Throws<ConfigurationException>(() => MemoryLayout.Create(MachineOptions.Default, new MemoryOptions(G, 257, 2 * G))).Message);
}
