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
        var plan = MachinePlan.Create(config);
        var (descriptors, layout, nodeMemory, planner) = (plan.Backends, plan.Layout, plan.NodeMemory, plan.Devices);

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
            var machine = new Machine(
                config, layout, nodeMemory, memory, io, fwCfg, gpe, planner, backends, nvdimms, new FitBuffer(), owned, anonymousRam)
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
            HostMapping ram;
            try
            {
                ram = HostMapping.Map(-1, layout.RamSize, BackendDescriptor.AnonymousAlignment, Libc.ProtRead | Libc.ProtWrite,
                    Libc.MapPrivate | Libc.MapAnonymous | Libc.MapNoReserve);
            }
            catch (MappingException e)
            {
                throw new ConfigurationException(
                    $"cannot set up guest memory '{MachineTypes.Find(config.Machine.TypeName)?.DefaultRamId ?? "pc.ram"}': {e.Message}");
            }
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
