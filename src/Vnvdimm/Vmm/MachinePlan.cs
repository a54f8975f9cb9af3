using Vnvdimm.Devices;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;
using Vnvdimm.Platform;

namespace Vnvdimm.Vmm;

/// <summary>
/// Everything a configuration decides before a file is opened: the backends' sizes and alignments,
/// the guest memory layout, RAM per NUMA node and each NVDIMM's slot and range. Making one reads
/// files' metadata and nothing else, so the layout planner can show what a start would do.
/// </summary>
public sealed record MachinePlan(
    MachineConfiguration Configuration,
    IReadOnlyDictionary<string, BackendDescriptor> Backends,
    MemoryLayout Layout,
    IReadOnlyList<ulong> NodeMemory,
    MemoryDevicePlanner Devices)
{
    /// <summary>Runs every check a start makes before creating anything, in QEMU's order; throws its complaint.</summary>
    public static MachinePlan Create(MachineConfiguration config)
    {
        var descriptors = new Dictionary<string, BackendDescriptor>(StringComparer.Ordinal);
        foreach (var options in config.Backends)
        {
            var descriptor = BackendDescriptor.From(options); // QEMU names no option for these, found when the backend is completed
            BackendPreflight.Check(descriptor, incoming: config.Incoming is not null);
            descriptors.Add(options.Id, descriptor);
        }

        var layout = MemoryLayout.Create(config.Machine, config.Memory);
        var nodeMemory = NumaNodeMemory(config, descriptors);
        var numaMemdevs = config.NumaNodes.Where(n => n.Memdev is not null).Select(n => n.Memdev!).ToList();

        var planner = new MemoryDevicePlanner(layout, config.Machine, nodeMemory.Count, numaMemdevs);
        foreach (var nvdimm in config.Nvdimms)
            planner.Place(nvdimm, descriptors);
        return new MachinePlan(config, descriptors, layout, nodeMemory, planner);
    }

    /// <summary>
    /// RAM per NUMA node. Without -numa, QEMU adds one node holding all RAM as soon as memory hotplug
    /// is possible (slots or maxmem); with -numa, each node's RAM is its memdev.
    /// </summary>
    private static IReadOnlyList<ulong> NumaNodeMemory(MachineConfiguration config, Dictionary<string, BackendDescriptor> descriptors)
    {
        var memory = config.Memory;
        if (config.NumaNodes.Count == 0)
            return memory.Slots > 0 || memory.MaxMem > memory.RamSize ? [memory.RamSize] : [];

        var byId = new SortedDictionary<uint, NumaNodeOptions>();
        foreach (var node in config.NumaNodes)
        {
            if (!byId.TryAdd(node.NodeId, node))
                throw new ConfigurationException($"Duplicate NUMA nodeid: {node.NodeId}", node.Location);
            if (node.Memdev is string id && !descriptors.ContainsKey(id))
                throw new ConfigurationException($"memdev={id} is ambiguous", node.Location); // QEMU's words for a missing backend
        }
        for (uint id = byId.Keys.Max(); id > 0; id--)
            if (!byId.ContainsKey(id - 1))
                throw new ConfigurationException($"numa: Node ID missing: {id - 1}");

        var sizes = byId.Values.Select(n => n.Memdev is string id ? descriptors[id].Size : 0).ToList();
        ulong total = sizes.Aggregate(0UL, (a, b) => a + b);
        if (total != memory.RamSize)
            throw new ConfigurationException($"total memory for NUMA nodes (0x{total:x}) should equal RAM size (0x{memory.RamSize:x})");
        return sizes;
    }
}
