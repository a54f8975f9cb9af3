using Microsoft.Extensions.Logging;
using Vnvdimm.Acpi;
using Vnvdimm.Acpi.Nfit;
using Vnvdimm.Acpi.Nvdimm;
using Vnvdimm.Devices;
using Vnvdimm.Dsm;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;
using Vnvdimm.Platform;
using Vnvdimm.Platform.FwCfg;

namespace Vnvdimm.Vmm;

/// <summary>
/// Turns a configuration into a machine. Every check that can fail runs before the first file is
/// created or mapped; if opening a backend still fails, what was created is removed again.
/// </summary>
public static class MachineBuilder
{
    public static Machine Build(MachineConfiguration config, ILogger logger)
    {
        var descriptors = new Dictionary<string, BackendDescriptor>(StringComparer.Ordinal);
        foreach (var options in config.Backends)
        {
            var descriptor = Located(options.Location, () => BackendDescriptor.From(options));
            MemoryBackend.Preflight(descriptor, incoming: config.Incoming is not null);
            descriptors.Add(options.Id, descriptor);
        }

        var layout = MemoryLayout.Create(config.Machine, config.Memory);
        var nodeMemory = NumaNodeMemory(config, descriptors);
        var numaMemdevs = config.NumaNodes.Where(n => n.Memdev is not null).Select(n => n.Memdev!).ToList();

        var planner = new MemoryDevicePlanner(layout, config.Machine, nodeMemory.Count, numaMemdevs);
        foreach (var nvdimm in config.Nvdimms)
            planner.Place(nvdimm, descriptors);

        var opened = new Dictionary<string, MemoryBackend>(StringComparer.Ordinal);
        var created = new List<string>();
        var owned = new List<IDisposable>();
        try
        {
            foreach (var descriptor in descriptors.Values)
            {
                var backend = MemoryBackend.Open(descriptor, logger, out bool isNew);
                if (isNew)
                    created.Add(descriptor.Options.MemPath!);
                owned.Add(backend);
                opened.Add(descriptor.Id, backend);
            }

            var memory = new GuestAddressSpace();
            var anonymousRam = MapRam(config, layout, memory, opened, owned);

            var nvdimms = planner.Placed.Select(p => new NvdimmDevice(p, opened[p.Backend.Id], hotplugged: false)).ToList();
            foreach (var d in nvdimms)
                memory.Map(d.Range, d.Backend.Mapping, 0, d.Id ?? $"nvdimm{d.Slot}");

            // The empty machine has no firmware interface and no chipset: its fw_cfg and GPE0 stay unreachable.
            bool chipset = config.Machine.Chipset != ChipsetKind.None;
            var io = new IoPortBus();
            var fwCfg = new FwCfgDevice(memory);
            var (gpePort, gpeLength) = GpeBlock.Location(config.Machine.Chipset);
            var gpe = new GpeBlock(gpeLength);
            if (chipset)
            {
                io.Register(FwCfgDevice.BasePort, FwCfgDevice.PortCount, fwCfg);
                io.Register(gpePort, gpeLength, gpe);
            }

            // From here the machine owns the backends; RAM and other resources stay in "owned".
            var backends = opened.Values.ToList();
            owned.RemoveAll(r => r is MemoryBackend);
            var machine = new Machine(config, layout, nodeMemory, memory, io, fwCfg, gpe, planner, backends, nvdimms, new FitBuffer(), owned, anonymousRam)
            {
                CreatedFiles = created,
            };
            owned = [machine];

            if (chipset)
            {
                var nfit = MachineAcpi.Publish(machine);
                if (nvdimms.Count > 0)
                    machine.Fit.Publish(nfit.FitBytes()); // as QEMU: every plug, cold ones included, marks the FIT changed
            }
            if (config.Machine.Nvdimm)
                io.Register(DsmLayout.IoPort, DsmLayout.IoPortLength, new DsmPort(memory, new DsmDispatcher(machine.FindNvdimm, machine.Fit)));
            return machine;
        }
        catch
        {
            foreach (var resource in Enumerable.Reverse(owned))
                resource.Dispose();
            foreach (var path in created)
                File.Delete(path);
            throw;
        }
    }

    private static T Located<T>(string location, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (ConfigurationException e)
        {
            throw e.At(location);
        }
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
                throw new ConfigurationException($"Device '{id}' not found", node.Location);
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

    /// <summary>Maps guest RAM: the -numa memdevs in node order, or one anonymous mapping (returned).</summary>
    private static HostMapping? MapRam(MachineConfiguration config, MemoryLayout layout, GuestAddressSpace memory,
        Dictionary<string, MemoryBackend> backends, List<IDisposable> owned)
    {
        var pieces = new List<(HostMapping Mapping, ulong Size)>();
        HostMapping? anonymous = null;
        if (config.NumaNodes.Count > 0)
        {
            foreach (var node in config.NumaNodes.OrderBy(n => n.NodeId))
                if (node.Memdev is string id)
                    pieces.Add((backends[id].Mapping, backends[id].Size));
        }
        else
        {
            var ram = HostMapping.Map(-1, layout.RamSize, BackendDescriptor.AnonymousAlignment, Libc.ProtRead | Libc.ProtWrite,
                Libc.MapPrivate | Libc.MapAnonymous | Libc.MapNoReserve);
            ram.TrackEverWritten();
            owned.Add(ram);
            pieces.Add((ram, layout.RamSize));
            anonymous = ram;
        }

        // Lay the pieces end to end in "RAM offset" space, then cut that at the below/above-4G split.
        ulong pieceStart = 0;
        int part = 0;
        foreach (var (mapping, size) in pieces)
        {
            foreach (var (ramOffset, range) in layout.RamRanges())
            {
                ulong from = Math.Max(ramOffset, pieceStart);
                ulong to = Math.Min(ramOffset + range.Size, pieceStart + size);
                if (from < to)
                    memory.Map(new GuestRange(range.Base + (from - ramOffset), to - from), mapping, from - pieceStart, $"ram{part++}");
            }
            pieceStart += size;
        }
        return anonymous;
    }
}
