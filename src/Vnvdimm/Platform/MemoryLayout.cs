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

    /// <summary>Where RAM above the PCI hole starts: 4 GiB, or 1 TiB when QEMU moves it past AMD's HyperTransport hole.</summary>
    public ulong AboveFourGigStart { get; init; } = FourGig;

    /// <summary>AMD's HyperTransport range below 1 TiB, which QEMU 7.1+ keeps guest memory out of for its (AMD) default CPU.</summary>
    public const ulong AmdHyperTransportStart = 0xfd00000000, AboveOneTerabyte = 1UL << 40;

    /// <summary>The default CPU's (qemu64's) physical address width: nothing the machine uses may lie above it.</summary>
    public const int PhysicalAddressBits = 40;

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

        if (ram < memory.MaxMem)
        {
            if (memory.Slots > MaxSlots)
                throw new ConfigurationException($"unsupported amount of memory slots: {memory.Slots}");
            ulong page = (ulong)Environment.SystemPageSize;
            if (memory.MaxMem % page != 0)
                throw new ConfigurationException($"maximum memory size must by aligned to multiple of {page} bytes");
        }

        // QEMU 7.1+ moves RAM above 4 GiB (and the memory devices after it) to 1 TiB when the highest address
        // the machine uses, its 64-bit PCI hole included, would reach AMD's HyperTransport range; then checks
        // that the CPU can address it all.
        ulong aboveStart = FourGig;
        if (machine.Version >= new Version(7, 1) && MaxUsedAddress(machine, memory, above, aboveStart) >= AmdHyperTransportStart)
            aboveStart = AboveOneTerabyte;
        ulong maxUsed = MaxUsedAddress(machine, memory, above, aboveStart);
        ulong limit = (1UL << PhysicalAddressBits) - 1;
        if (maxUsed > limit)
            throw new ConfigurationException($"Address space limit 0x{limit:x} < 0x{maxUsed:x} phys-bits too low ({PhysicalAddressBits})");
        return new MemoryLayout(ram, below, above, memory.Slots, memory.MaxMem, DeviceRange(memory, above, aboveStart))
        {
            AboveFourGigStart = aboveStart,
        };
    }

    /// <summary>
    /// The memory-device region: after RAM above 4 GiB, GiB-aligned, with a GiB of slack per slot
    /// (the largest alignment a device is expected to need).
    /// </summary>
    private static GuestRange DeviceRange(MemoryOptions memory, ulong above, ulong aboveStart)
    {
        if (memory.RamSize >= memory.MaxMem)
            return new GuestRange(0, 0);
        ulong baseAddress = (aboveStart + above + Gig - 1) & ~(Gig - 1);
        ulong size = memory.MaxMem - memory.RamSize + Gig * memory.Slots;
        if (baseAddress + size < size)
            throw new ConfigurationException($"unsupported amount of maximum memory: 0x{memory.MaxMem:x}");
        return new GuestRange(baseAddress, size);
    }

    /// <summary>QEMU's pc_max_used_gpa: the end of the 64-bit PCI hole (2 GiB on pc, 32 GiB on q35) after memory and its devices.</summary>
    private static ulong MaxUsedAddress(MachineOptions machine, MemoryOptions memory, ulong above, ulong aboveStart)
    {
        var device = DeviceRange(memory, above, aboveStart);
        ulong holeStart = device.Size != 0 ? device.End : aboveStart + above;
        holeStart = (holeStart + Gig - 1) & ~(Gig - 1);
        ulong hole64 = machine.Chipset == ChipsetKind.Q35 ? 32 * Gig : 2 * Gig;
        return holeStart + hole64 - 1;
    }

    /// <summary>Guest-physical pieces of RAM: [0, below) and [4 GiB, 4 GiB + above).</summary>
    public IEnumerable<(ulong RamOffset, GuestRange Range)> RamRanges()
    {
        if (BelowFourGig != 0)
            yield return (0, new GuestRange(0, BelowFourGig));
        if (AboveFourGig != 0)
            yield return (BelowFourGig, new GuestRange(AboveFourGigStart, AboveFourGig));
    }
}
