using Microsoft.Extensions.Logging;
using Vnvdimm.Devices;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;

namespace Vnvdimm.Vmm;

/// <summary>
/// Adds and removes memory backends and NVDIMMs on a running machine, with the command line's checks
/// and messages. A failed request changes nothing: no slot or range is taken, no file is left behind
/// that this request created, and the guest sees no event.
/// </summary>
public sealed class MemoryHotplug(Machine machine, ILogger logger)
{
    /// <summary><c>object-add</c> of a memory backend: creates (or opens) and maps its file.</summary>
    /// <remarks>
    /// Opening (and a prealloc=on, which may take seconds) runs outside the machine lock: the new backend
    /// is not mapped into the guest yet, and guests and other clients are served meanwhile.
    /// </remarks>
    public MemoryBackend AddBackend(BackendOptions options)
    {
        var descriptor = BackendDescriptor.From(options);
        using (machine.Enter())
        {
            RefuseDuplicate(options.Id);
            BackendPreflight.Check(descriptor);
        }
        var backend = MemoryBackend.Open(descriptor, logger, out bool created);
        using (machine.Enter())
        {
            try
            {
                RefuseDuplicate(options.Id); // another client may have added the same id meanwhile
            }
            catch
            {
                backend.Dispose();
                if (created)
                    File.Delete(options.MemPath!);
                throw;
            }
            machine.AddBackend(backend);
            return backend;
        }
    }

    private void RefuseDuplicate(string id)
    {
        if (machine.FindBackend(id) is not null)
            throw new ConfigurationException($"attempt to add duplicate property '{id}' to object (type 'container')");
    }

    /// <summary><c>object-del</c>: unmaps a backend nothing uses. Its file stays, as in QEMU.</summary>
    public void DeleteBackend(string id)
    {
        using (machine.Enter())
        {
            var backend = machine.FindBackend(id) ?? throw new ConfigurationException($"object '{id}' not found");
            if (machine.IsBackendInUse(id))
                throw new ConfigurationException($"object '{id}' is in use, can not be deleted");
            machine.RemoveBackend(backend);
            backend.Dispose();
        }
    }

    /// <summary>
    /// <c>device_add nvdimm</c>: takes a slot and a range, maps the backend there, rebuilds the FIT
    /// (marking it changed for a Read FIT sequence in progress) and raises the NVDIMM hotplug GPE.
    /// </summary>
    public NvdimmDevice AddNvdimm(NvdimmOptions options)
    {
        using (machine.Enter())
        {
            if (options.Id is string id && machine.Nvdimms.Any(d => d.Id == id))
                throw new ConfigurationException($"Duplicate device ID '{id}'");
            var descriptors = machine.Backends.ToDictionary(b => b.Id, b => b.Descriptor, StringComparer.Ordinal);
            var placement = machine.Planner.Plan(options, descriptors);
            var device = new NvdimmDevice(placement, machine.FindBackend(placement.Backend.Id)!, hotplugged: true);

            machine.Memory.Map(device.Range, device.Backend.Mapping, 0, device.Id ?? $"nvdimm{device.Slot}");
            machine.Planner.Commit(placement);
            machine.AddNvdimm(device);

            var nfit = MachineAcpi.FirmwareHasTables(machine)
                ? MachineAcpi.BuildNfit(machine.Nvdimms.Select(d => d.Placement), machine.Configuration.Machine.Persistence)
                : MachineAcpi.Publish(machine);
            machine.Fit.Publish(nfit.FitBytes());
            machine.Gpe.Raise(NvdimmDevice.HotplugGpeBit);
            return device;
        }
    }

    /// <summary><c>device_del</c>: QEMU cannot unplug an NVDIMM, and neither can we.</summary>
    public void DeleteDevice(string id)
    {
        using (machine.Enter())
        {
            if (!machine.Nvdimms.Any(d => d.Id == id))
                throw ConfigurationException.NotFound($"Device '{id}' not found");
            throw new ConfigurationException("nvdimm device hot unplug is not supported yet.");
        }
    }
}
