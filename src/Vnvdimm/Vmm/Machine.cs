using Vnvdimm.Devices;
using Vnvdimm.Dsm;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;
using Vnvdimm.Platform;
using Vnvdimm.Platform.FwCfg;

namespace Vnvdimm.Vmm;

/// <summary>
/// A built machine: guest memory, the I/O bus with its devices, the memory backends and the NVDIMMs.
/// </summary>
/// <remarks>
/// Which lock protects what (QEMU has one big lock for all of this; we have the same one, plus a leaf):
/// <list type="bullet">
/// <item>The machine lock (<see cref="Enter"/>) protects everything a guest or a hotplug touches: guest
/// memory accesses and the address-space map, the I/O bus and its devices (DSM mailbox, fw_cfg, GPE0,
/// the FIT), the backend and NVDIMM lists and the slot/address planner. Code that needs it calls
/// <see cref="AssertLocked"/>, as QEMU asserts the BQL.</item>
/// <item>The run-state lock protects <see cref="RunState"/> and the autostart flag only. It is a leaf:
/// nothing is acquired, waited for or written while it is held, so a signal handler can always take it.</item>
/// <item>Under neither lock: socket or terminal I/O, waiting for another thread. Events are queued
/// per client (<see cref="MachineEvents"/> never blocks), so publishing one under a lock is safe.</item>
/// </list>
/// The one exception is migration's stop-and-copy, which sends the last dirty pages under the machine
/// lock (that is what stops the guest); its socket has a send timeout, so a stalled destination
/// fails the migration instead of holding the machine.
/// </remarks>
public sealed class Machine : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Lock _runStateLock = new();
    private bool _autostart;
    private bool _disposed;
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
        _autostart = !configuration.StartStopped;
        MigratableStates = [fit, gpe, new RunStateSection(this)];
    }

    /// <summary>Takes the machine lock (see the remarks above); throws once the machine is disposed.</summary>
    public Lock.Scope Enter()
    {
        var scope = _lock.EnterScope();
        if (_disposed)
        {
            scope.Dispose();
            throw new ObjectDisposedException(nameof(Machine), "the machine is shutting down");
        }
        return scope;
    }

    /// <summary>Fails loudly when the caller does not hold the machine lock: a broken invariant, not a user error.</summary>
    public void AssertLocked()
    {
        if (!_lock.IsHeldByCurrentThread)
            throw new InvalidOperationException("the machine lock must be held here");
    }

    public MachineConfiguration Configuration { get; }

    /// <summary>Backing files this machine's start created: a start that fails after the build removes them.</summary>
    public IReadOnlyList<string> CreatedFiles { get; init; } = [];
    public MemoryLayout Layout { get; }

    /// <summary>RAM per NUMA node, as the SRAT describes it (empty when the machine has no SRAT).</summary>
    public IReadOnlyList<ulong> NodeMemory { get; }

    public GuestAddressSpace Memory { get; }

    /// <summary>Guest RAM when no -numa memdev provides it: the one mapping the machine owns outright.</summary>
    public HostMapping? AnonymousRam { get; }
    public IoPortBus Io { get; }
    public FwCfgDevice FwCfg { get; }
    public GpeBlock Gpe { get; }

    /// <summary>Whose interrupt lines qtest intercepts (machine-wide, as in QEMU).</summary>
    public IrqIntercept IrqIntercept { get; } = new();
    public FitBuffer Fit { get; }
    public MachineEvents Events { get; } = new();

    public RunState RunState
    {
        get { lock (_runStateLock) return _runState; }
        private set => _runState = value;
    }

    private RunState _runState;

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

    internal void AddBackend(MemoryBackend backend)
    {
        AssertLocked();
        _backends.Add(backend);
    }

    internal void RemoveBackend(MemoryBackend backend)
    {
        AssertLocked();
        _backends.Remove(backend);
    }

    internal void AddNvdimm(NvdimmDevice device)
    {
        AssertLocked();
        _nvdimms.Add(device);
    }

    /// <summary>
    /// <c>stop</c>: pauses a running machine (STOP event). As in QEMU, on a destination waiting for its
    /// migration it only cancels the autostart, and in any other state it does nothing.
    /// </summary>
    public void Stop()
    {
        lock (_runStateLock)
        {
            if (_runState == RunState.InMigrate)
            {
                _autostart = false;
                return;
            }
            if (_runState != RunState.Running)
                return;
            Transition(RunState.Paused);
        }
    }

    /// <summary>
    /// <c>cont</c>: runs the machine (RESUME event). On a destination waiting for its migration it asks
    /// for the machine to run once the migration completes, as QEMU does.
    /// </summary>
    public void Continue()
    {
        lock (_runStateLock)
        {
            switch (_runState)
            {
                case RunState.InMigrate:
                    _autostart = true;
                    return;
                case RunState.FinishMigrate:
                    throw new StateError("Migration is not finalized yet");
                case RunState.Shutdown:
                    throw new StateError("Resetting the Virtual Machine is required");
                case RunState.Running:
                    return;
                default:
                    Transition(RunState.Running);
                    return;
            }
        }
    }

    /// <summary>
    /// An incoming migration completed: a running source's machine runs here too, or stays paused after -S
    /// or a <c>stop</c> (QEMU's autostart); any other source state is taken over as it was.
    /// </summary>
    public void FinishIncomingMigration()
    {
        lock (_runStateLock)
            Transition(SourceRunState is null or RunState.Running ? (_autostart ? RunState.Running : RunState.Paused) : SourceRunState.Value);
    }

    /// <summary>The run state the source had when it stopped to migrate (its "runstate" section); null before one arrived.</summary>
    internal RunState? SourceRunState { get; set; }

    /// <summary>What this machine was doing when its migration's stop-and-copy began: what the destination should take over.</summary>
    internal RunState RunStateBeforeMigration { get; private set; } = RunState.Running;

    /// <summary>The parts whose state migrates beside the memory, in the order they are saved.</summary>
    public IReadOnlyList<Migration.IMigratableState> MigratableStates { get; }

    /// <summary>
    /// Moves between run states for migration (running → finish-migrate → postmigrate, or back on failure),
    /// with QEMU's events, and only from <paramref name="expected"/> (a quit meanwhile wins); true when it moved.
    /// </summary>
    public bool SetRunState(RunState expected, RunState state)
    {
        lock (_runStateLock)
        {
            if (_runState != expected)
                return false;
            if (state == RunState.FinishMigrate)
                RunStateBeforeMigration = expected;
            Transition(state);
            return true;
        }
    }

    public void RequestShutdown(string reason)
    {
        lock (_runStateLock)
        {
            if (_runState == RunState.Shutdown)
                return;
            Transition(RunState.Shutdown, reason);
        }
        _shutdown.TrySetResult(new ShutdownEvent(false, reason));
    }

    /// <summary>Changes the run state if QEMU's transition table allows it; a forbidden transition is a defect.</summary>
    private void Transition(RunState to, string? shutdownReason = null)
    {
        var from = _runState;
        if (from == to)
            return;
        if (!RunStates.Allowed(from, to))
            throw new InvalidOperationException($"invalid run state transition: {RunStates.Name(from)} -> {RunStates.Name(to)}");
        _runState = to;
        // Publishing only queues (MachineEvents never blocks), so it is safe under the leaf lock and keeps events in order.
        if (to == RunState.Shutdown)
            Events.Publish(new ShutdownEvent(false, shutdownReason!));
        else if (from == RunState.Running)
            Events.Publish(new StopEvent());
        else if (to == RunState.Running)
            Events.Publish(new ResumeEvent());
    }

    /// <summary>
    /// Unmaps everything, under the machine lock so that no guest access is under way; later accesses
    /// fail with <see cref="ObjectDisposedException"/> instead of touching unmapped memory. When the lock
    /// cannot be had in time (a thread stuck while holding it), the mappings are left to the process's
    /// exit: better a leak at exit than a fault.
    /// </summary>
    public void Dispose()
    {
        if (!_lock.TryEnter(TimeSpan.FromMilliseconds(300)))
            return;
        try
        {
            if (_disposed)
                return;
            _disposed = true;
            foreach (var backend in Enumerable.Reverse(_backends))
                backend.Dispose();
            foreach (var resource in _owned.Reverse())
                resource.Dispose();
        }
        finally
        {
            _lock.Exit();
        }
    }
}
