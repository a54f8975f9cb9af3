using Microsoft.Extensions.Logging;
using Vnvdimm.Monitor.Qom;
using Vnvdimm.Options;
using Vnvdimm.Vmm;

namespace Vnvdimm.Monitor;

/// <summary>
/// What the management interfaces can do to a machine, whatever the syntax: QMP and HMP both call
/// these, so a hotplug through either goes through the same checks and produces the same state.
/// </summary>
public sealed class MachineMonitor(Machine machine, ILogger logger)
{
    /// <summary>The QEMU release whose management interface we implement; "package" names vnvdimm itself.</summary>
    public static readonly QemuVersion CompatibleQemu = new(7, 2, 0);

    private readonly MemoryHotplug _hotplug = new(machine, logger);

    public Machine Machine => machine;

    public QomTree Qom { get; } = new(machine);

    public Migration.MigrationManager Migration { get; } = new(machine, logger);

    /// <summary>Runs a migration command, its refusals reported as the monitor's errors.</summary>
    public void Migrate(Action<Migration.MigrationManager> command)
    {
        try
        {
            command(Migration);
        }
        catch (Migration.MigrationException e)
        {
            throw MonitorException.Generic(e.Message);
        }
    }

    public static string ProductVersion =>
        typeof(MachineMonitor).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0";

    public VersionInfo Version() => new(CompatibleQemu, $"vnvdimm {ProductVersion}");

    public StatusInfo Status()
    {
        var state = machine.RunState;
        return new StatusInfo(RunStates.Name(state), false, state == RunState.Running);
    }

    public IReadOnlyList<MemoryDeviceInfo> MemoryDevices()
    {
        using (machine.Enter())
            return [.. machine.Nvdimms.OrderBy(d => d.Address).Select(d => new MemoryDeviceInfo("nvdimm",
                new PcDimmInfo(d.Id, d.Address, d.RegionSize, d.Slot, d.Node, QomTree.BackendPath(d.Backend.Id), d.Hotplugged, true)))];
    }

    public IReadOnlyList<MemdevInfo> Memdevs()
    {
        using (machine.Enter())
        {
            var list = new List<MemdevInfo>();
            if (machine.Configuration.NumaNodes.Count == 0)
                list.Add(new MemdevInfo(
                    QomTree.MachineRamId, machine.Layout.RamSize, false, true, false, false, QomTree.Reserve(false), [], "default"));
            foreach (var b in machine.Backends)
                list.Add(new MemdevInfo(b.Id, b.Size, false, true, b.Preallocated, b.Options.Share, QomTree.Reserve(b.Options.Share), [], "default"));
            return list;
        }
    }

    /// <summary><c>object-add</c>/<c>object_add</c>, given as QemuOpts ("qom-type" is the implied key).</summary>
    public void ObjectAdd(OptionGroup options) => Translate(() =>
    {
        var backend = CommandLineParser.ParseBackend(options);
        _hotplug.AddBackend(backend);
    });

    /// <summary>
    /// <c>object-del</c>. Refused while a migration runs: it would unmap memory the migration is reading
    /// or writing. QEMU has no such check (it unmaps under the migration); the words follow its device_del's.
    /// </summary>
    public void ObjectDel(string id) => Translate(() =>
    {
        using (machine.Enter())
        {
            RefuseWhileMigrating("object-del");
            _hotplug.DeleteBackend(id);
        }
    });

    /// <summary><c>device_add</c>, given as QemuOpts ("driver" is the implied key); refused while migrating, as in QEMU.</summary>
    public void DeviceAdd(OptionGroup options) => Translate(() =>
    {
        var nvdimm = CommandLineParser.ParseDevice(options);
        using (machine.Enter())
        {
            RefuseWhileMigrating("device_add");
            _hotplug.AddNvdimm(nvdimm);
        }
    });

    public void DeviceDel(string id) => Translate(() =>
    {
        using (machine.Enter())
        {
            if (machine.Nvdimms.Any(d => d.Id == id)) // QEMU names a missing device first
                RefuseWhileMigrating("device_del");
            _hotplug.DeleteDevice(id);
        }
    });

    /// <summary>
    /// A migration captures the machine's devices when it starts, under the machine lock: a device
    /// change after that would reach one side only. Called with the machine lock held, so the check and
    /// the change are one step for a migration starting meanwhile.
    /// </summary>
    private void RefuseWhileMigrating(string command)
    {
        machine.AssertLocked();
        if (Migration.Active)
            throw MonitorException.Generic($"{command} not allowed while migrating");
    }

    public void Stop() => machine.Stop();

    public void Continue() => Translate(machine.Continue);

    /// <summary>Asks the machine to shut down; QEMU's reason for a monitor <c>quit</c>.</summary>
    public void Quit(string reason) => machine.RequestShutdown(reason);

    private static void Translate(Action action)
    {
        try
        {
            action();
        }
        catch (ConfigurationException e)
        {
            // The monitor names no command-line option: the message alone, as QEMU reports it.
            throw new MonitorException(e.IsNotFound ? MonitorErrorClass.DeviceNotFound : MonitorErrorClass.GenericError, e.Message);
        }
        catch (StateError e)
        {
            throw MonitorException.Generic(e.Message);
        }
    }
}
