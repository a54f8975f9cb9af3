using Vnvdimm.HostMemory;
using Vnvdimm.Options;
using Vnvdimm.Platform;

namespace Vnvdimm.Devices;

/// <summary>Where an NVDIMM goes: its slot and guest range, decided before anything is mapped.</summary>
public sealed record NvdimmPlacement(NvdimmOptions Options, BackendDescriptor Backend, int Slot, GuestRange Range)
{
    /// <summary>The NFIT device handle: slot + 1, so that 0 can name the root device.</summary>
    public uint Handle => (uint)Slot + 1;
}

/// <summary>
/// Assigns slots and guest addresses to memory devices with every check QEMU makes, in QEMU's
/// order, so that the same command line fails with the same complaint. Used at start-up and for hotplug.
/// </summary>
public sealed class MemoryDevicePlanner(MemoryLayout layout, MachineOptions machine, int numaNodes, IEnumerable<string> backendsInUse)
{
    private readonly List<NvdimmPlacement> _placed = [];
    private readonly HashSet<string> _backendsInUse = [.. backendsInUse];

    public IReadOnlyList<NvdimmPlacement> Placed => _placed;

    /// <summary>Whether a device or a NUMA node uses the backend.</summary>
    public bool IsInUse(string backendId) => _backendsInUse.Contains(backendId) || _placed.Exists(p => p.Backend.Id == backendId);

    /// <summary>Plans a device and reserves its slot and range.</summary>
    public NvdimmPlacement Place(NvdimmOptions options, IReadOnlyDictionary<string, BackendDescriptor> backends)
    {
        var placement = Plan(options, backends);
        Commit(placement);
        return placement;
    }

    /// <summary>Decides slot and range without reserving them, so that a hotplug can still fail afterwards.</summary>
    public NvdimmPlacement Plan(NvdimmOptions options, IReadOnlyDictionary<string, BackendDescriptor> backends)
    {
        try
        {
            return Decide(options, backends);
        }
        catch (ConfigurationException e)
        {
            throw e.At(options.Location);
        }
    }

    public void Commit(NvdimmPlacement placement) => _placed.Add(placement);

    private NvdimmPlacement Decide(NvdimmOptions options, IReadOnlyDictionary<string, BackendDescriptor> backends)
    {
        if (options.Memdev is string id && !backends.ContainsKey(id))
            throw ConfigurationException.NotFound($"Device '{id}' not found");
        if (machine.Chipset == ChipsetKind.None)
            throw new ConfigurationException("memory devices (e.g. for memory hotplug) are not supported by the machine");
        if (!machine.Nvdimm)
            throw new ConfigurationException("nvdimm is not enabled: missing 'nvdimm' in '-M'");

        int slot = AssignSlot(options.Slot);

        if (options.Memdev is null)
            throw new ConfigurationException("'memdev' property must be set");
        var backend = backends[options.Memdev];
        ulong regionSize = RegionSize(options, backend);

        var range = AssignAddress(options, regionSize, backend.Alignment);

        if ((numaNodes > 0 && options.Node >= numaNodes) || (numaNodes == 0 && options.Node != 0))
            throw new ConfigurationException(
                $"'DIMM property node has value {options.Node}' which exceeds the number of numa nodes: {Math.Max(numaNodes, 1)}");
        if (IsInUse(backend.Id))
            throw new ConfigurationException($"can't use already busy memdev: {backend.Id}");

        return new NvdimmPlacement(options, backend, slot, range);
    }

    private int AssignSlot(int? requested)
    {
        uint slots = layout.Slots;
        if (requested is int r && (r < 0 || r >= slots))
            // QEMU's unsigned arithmetic
            throw new ConfigurationException($"invalid slot number {r}, valid range is [0-{unchecked((ulong)slots - 1)}]");
        if (slots == 0)
            throw new ConfigurationException("no slots where allocated, please specify the 'slots' option");
        if (requested is int wanted)
            return _placed.Exists(p => p.Slot == wanted) ? throw new ConfigurationException($"slot {wanted} is busy") : wanted;
        for (int slot = 0; slot < slots; slot++)
            if (!_placed.Exists(p => p.Slot == slot))
                return slot;
        throw new ConfigurationException("no free slots available");
    }

    /// <summary>The PMEM the guest sees: the backend less its label area, aligned down to the backend alignment.</summary>
    private static ulong RegionSize(NvdimmOptions options, BackendDescriptor backend)
    {
        ulong pmem = backend.Size > options.LabelSize ? (backend.Size - options.LabelSize) & ~(backend.Alignment - 1) : 0;
        if (backend.Size <= options.LabelSize || pmem == 0)
            throw new ConfigurationException($"the size of memdev {backend.Id} (0x{backend.Size:x}) is too small to contain " +
                $"nvdimm label (0x{options.LabelSize:x}) and aligned PMEM (0x{backend.Alignment:x})");
        if (!options.Unarmed && backend.Readonly)
            throw new ConfigurationException($"'unarmed' property must be 'on' since memdev {backend.Id} is read-only");
        return pmem;
    }

    private GuestRange AssignAddress(NvdimmOptions options, ulong size, ulong align)
    {
        if (!layout.HasDeviceMemory)
            throw new ConfigurationException("memory devices (e.g. for memory hotplug) are not enabled, please specify the maxmem option");
        var space = layout.DeviceMemory;

        ulong used = 0;
        foreach (var p in _placed)
            used += p.Range.Size;
        if (used + size < used || used + size > layout.DeviceMemoryBudget)
            throw new ConfigurationException(
                $"not enough space, currently 0x{used:x} in use of total space for memory devices 0x{layout.DeviceMemoryBudget:x}");

        ulong? hint = options.Addr != 0 ? options.Addr : null;
        if (hint is ulong h && h % align != 0)
            throw new ConfigurationException($"address must be aligned to 0x{align:x} bytes");
        if (size % align != 0)
            throw new ConfigurationException($"backend memory size must be multiple of 0x{align:x}");

        GuestRange candidate;
        if (hint is ulong at)
        {
            candidate = new GuestRange(at, size);
            if (at + size < at || !space.Contains(candidate))
                throw new ConfigurationException($"can't add memory device [0x{at:x}:0x{size:x}], " +
                    $"usable range for memory devices [0x{space.Base:x}:0x{space.Size:x}]");
        }
        else
        {
            ulong start = AlignUp(space.Base, align);
            if (start + size < start)
                throw new ConfigurationException("can't add memory device, device too big");
            candidate = new GuestRange(start, size);
        }

        // First fit in address order, skipping past each device the candidate collides with.
        foreach (var p in _placed.OrderBy(p => p.Range.Base))
        {
            if (p.Range.Overlaps(candidate))
            {
                if (hint is not null)
                    throw new ConfigurationException($"address range conflicts with memory device id='{p.Options.Id ?? "(unnamed)"}'");
                ulong next = AlignUp(p.Range.End, align);
                if (next == 0 || next + size < next)
                    throw Fragmented();
                candidate = new GuestRange(next, size);
            }
            else if (p.Range.Base >= candidate.End)
            {
                break;
            }
        }
        if (!space.Contains(candidate))
            throw Fragmented();
        return candidate;
    }

    private static ConfigurationException Fragmented() =>
        new("could not find position in guest address space for memory device - memory fragmented due to alignments");

    private static ulong AlignUp(ulong value, ulong align) => (value + align - 1) & ~(align - 1);
}
