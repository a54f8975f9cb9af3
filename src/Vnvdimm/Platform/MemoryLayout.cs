using Vnvdimm.Options;

namespace Vnvdimm.Platform;

/// <summary>A guest-physical range [Base, Base+Size).</summary>
public readonly record struct GuestRange(ulong Base, ulong Size)
{
    public ulong End => Base + Size;
    public bool Contains(GuestRange other) => other.Base >= Base && other.Size <= Size && other.Base - Base <= Size - other.Size;
    public bool Overlaps(GuestRange other) => Size != 0 && other.Size != 0 && other.Base < End && Base < other.End;
}

/// <summary>
/// Where RAM and the device-memory region sit in guest-physical space, by QEMU 7.2's rules for
/// pc (split at 3 GiB once RAM reaches 3.5 GiB) and q35 (split at 2 GiB once RAM reaches 2.75 GiB);
/// the empty machine has all RAM at 0 and no device memory.
/// </summary>
public sealed record MemoryLayout(ulong RamSize, ulong BelowFourGig, ulong AboveFourGig, uint Slots, ulong MaxMem, GuestRange DeviceMemory)
{
    public const ulong FourGig = 1UL << 32;
    public const ulong Gig = 1UL << 30;
    public const ulong Hole640KStart = 640UL << 10;
    public const ulong Hole640KEnd = 1UL << 20;

    /// <summary>ACPI's limit on memory slots (QEMU's ACPI_MAX_RAM_SLOTS).</summary>
    public const uint MaxSlots = 256;

    public ulong AboveFourGigStart => FourGig;

    public bool HasDeviceMemory => DeviceMemory.Size != 0;

    /// <summary>Room left for memory devices: maxmem minus RAM.</summary>
    public ulong DeviceMemoryBudget => MaxMem - RamSize;

    public static MemoryLayout Create(MachineOptions machine, MemoryOptions memory)
    {
        ulong ram = memory.RamSize;
        if (machine.Chipset == ChipsetKind.None)
            return new MemoryLayout(ram, ram, 0, 0, ram, new GuestRange(0, 0)); // all RAM at 0, no device memory
        ulong lowmem = machine.Chipset switch
        {
            ChipsetKind.Pc => ram >= 0xe0000000 ? 0xc0000000 : 0xe0000000,
            _ => ram >= 0xb0000000 ? 0x80000000 : 0xb0000000,
        };
        ulong below = Math.Min(ram, lowmem);
        ulong above = ram - below;

        var device = new GuestRange(0, 0);
        if (ram < memory.MaxMem)
        {
            if (memory.Slots > MaxSlots)
                throw new ConfigurationException($"unsupported amount of memory slots: {memory.Slots}");
            ulong page = (ulong)Environment.SystemPageSize;
            if (memory.MaxMem % page != 0)
                throw new ConfigurationException($"maximum memory size must by aligned to multiple of {page} bytes");
            ulong aboveEnd = FourGig + above;
            ulong baseAddress = (aboveEnd + Gig - 1) & ~(Gig - 1);
            // One GiB of slack per slot: the largest alignment a memory device is expected to need.
            ulong size = memory.MaxMem - ram + Gig * memory.Slots;
            if (baseAddress + size < size)
                throw new ConfigurationException($"unsupported amount of maximum memory: 0x{memory.MaxMem:x}");
            device = new GuestRange(baseAddress, size);
        }
        return new MemoryLayout(ram, below, above, memory.Slots, memory.MaxMem, device);
    }

    /// <summary>Guest-physical pieces of RAM: [0, below) and [4 GiB, 4 GiB + above).</summary>
    public IEnumerable<(ulong RamOffset, GuestRange Range)> RamRanges()
    {
        if (BelowFourGig != 0)
            yield return (0, new GuestRange(0, BelowFourGig));
        if (AboveFourGig != 0)
            yield return (BelowFourGig, new GuestRange(FourGig, AboveFourGig));
    }
}
