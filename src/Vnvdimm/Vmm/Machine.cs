using Vnvdimm.Devices;
using Vnvdimm.Dsm;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;
using Vnvdimm.Platform;
using Vnvdimm.Platform.FwCfg;

namespace Vnvdimm.Vmm;

/// <summary>
/// A built machine: guest memory, the I/O bus with its devices, the memory backends and the NVDIMMs.
/// Guest accesses and changes (hotplug, run state) from several clients are serialised on
/// <see cref="SyncRoot"/>, as QEMU serialises them on its main loop.
/// </summary>
public sealed class Machine : IDisposable
{
    private readonly List<MemoryBackend> _backends;
    private readonly List<NvdimmDevice> _nvdimms;
    private readonly IReadOnlyList<IDisposable> _owned;
    private readonly TaskCompletionSource<ShutdownEvent> _shutdown = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal Machine(MachineConfiguration configuration, MemoryLayout layout, IReadOnlyList<ulong> nodeMemory, GuestAddressSpace memory,
        IoPortBus io, FwCfgDevice fwCfg, GpeBlock gpe, MemoryDevicePlanner planner, IEnumerable<MemoryBackend> backends,
        IEnumerable<NvdimmDevice> nvdimms, FitBuffer fit, IReadOnlyList<IDisposable> owned, HostMapping? anonymousRam)
    {
        AnonymousRam = anonymousRam;
        Configuration = configuration;
        Layout = layout;
        NodeMemory = nodeMemory;
        Memory = memory;
        Io = io;
        FwCfg = fwCfg;
        Gpe = gpe;
        Planner = planner;
        _backends = [.. backends];
        _nvdimms = [.. nvdimms];
        Fit = fit;
        _owned = owned;
        RunState = configuration.Incoming is not null ? RunState.InMigrate : configuration.StartStopped ? RunState.Prelaunch : RunState.Running;
    }

    public MachineConfiguration Configuration { get; }
    public MemoryLayout Layout { get; }

    /// <summary>RAM per NUMA node, as the SRAT describes it (empty when the machine has no SRAT).</summary>
    public IReadOnlyList<ulong> NodeMemory { get; }

    public GuestAddressSpace Memory { get; }

    /// <summary>Guest RAM when no -numa memdev provides it: the one mapping the machine owns outright.</summary>
    public HostMapping? AnonymousRam { get; }
    public IoPortBus Io { get; }
    public FwCfgDevice FwCfg { get; }
    public GpeBlock Gpe { get; }
    public FitBuffer Fit { get; }
    public object SyncRoot { get; } = new();
    public MachineEvents Events { get; } = new();
    public RunState RunState { get; private set; }

    /// <summary>Completes when the machine is asked to shut down (QMP/HMP <c>quit</c>, a signal).</summary>
    public Task<ShutdownEvent> ShutdownRequested => _shutdown.Task;

    /// <summary>Backends in the order they were created: the command line's, then hotplugged ones.</summary>
    public IReadOnlyList<MemoryBackend> Backends => _backends;

    public IReadOnlyList<NvdimmDevice> Nvdimms => _nvdimms;

    internal MemoryDevicePlanner Planner { get; }

    public MemoryBackend? FindBackend(string id) => _backends.Find(b => b.Id == id);

    public NvdimmDevice? FindNvdimm(uint handle) => _nvdimms.Find(d => d.Handle == handle);

    /// <summary>Whether a device or a NUMA node uses the backend.</summary>
    public bool IsBackendInUse(string id) => Planner.IsInUse(id);

    internal void AddBackend(MemoryBackend backend) => _backends.Add(backend);

    internal void RemoveBackend(MemoryBackend backend) => _backends.Remove(backend);

    internal void AddNvdimm(NvdimmDevice device) => _nvdimms.Add(device);

    /// <summary>Pauses the machine; returns false when it was not running.</summary>
    public bool Stop()
    {
        lock (SyncRoot)
        {
            if (RunState != RunState.Running)
                return false;
            RunState = RunState.Paused;
        }
        Events.Publish(new StopEvent());
        return true;
    }

    /// <summary>Runs the machine (from -S or <c>stop</c>); returns false when it was already running.</summary>
    public bool Continue()
    {
        lock (SyncRoot)
        {
            if (RunState is RunState.Running or RunState.Shutdown)
                return false;
            RunState = RunState.Running;
        }
        Events.Publish(new ResumeEvent());
        return true;
    }

    /// <summary>Moves between run states for migration (inmigrate → running/paused, running → postmigrate), with QEMU's events.</summary>
    public void SetRunState(RunState state)
    {
        RunState before;
        lock (SyncRoot)
        {
            before = RunState;
            RunState = state;
        }
        if (before == RunState.Running && state != RunState.Running)
            Events.Publish(new StopEvent());
        else if (before != RunState.Running && state == RunState.Running)
            Events.Publish(new ResumeEvent());
    }

    public void RequestShutdown(string reason)
    {
        var e = new ShutdownEvent(false, reason);
        lock (SyncRoot)
        {
            if (RunState == RunState.Shutdown)
                return;
            RunState = RunState.Shutdown;
        }
        Events.Publish(e);
        _shutdown.TrySetResult(e);
    }

    public void Dispose()
    {
        foreach (var backend in Enumerable.Reverse(_backends))
            backend.Dispose();
        foreach (var resource in _owned.Reverse())
            resource.Dispose();
    }
}
