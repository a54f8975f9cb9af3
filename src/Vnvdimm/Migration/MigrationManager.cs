using Microsoft.Extensions.Logging;
using Vnvdimm.Vmm;

namespace Vnvdimm.Migration;

/// <summary>
/// The machine's migration state, as QMP and HMP see it: at most one outgoing migration at a time
/// (on its own thread), the incoming one for -incoming, capabilities and parameters, status events.
/// </summary>
public sealed class MigrationManager(Machine machine, ILogger logger)
{
    private readonly object _lock = new();
    private MigrationSettings _settings = MigrationSettings.Default;
    private MigrationSource? _source;
    private CancellationTokenSource? _cancel;
    private MigrationStatus _status = MigrationStatus.None;
    private string? _error;
    private TimeSpan? _totalTime;
    private bool _incomingStarted;
    private TimeSpan? _incomingTime, _flushTime;
    private IReadOnlyList<MigrationSocketAddress>? _listening;

    public static readonly string[] Capabilities = ["events", "x-ignore-shared"];

    public MigrationSettings Settings
    {
        get { lock (_lock) return _settings; }
    }

    /// <summary>Completes when an incoming migration ends: true when completed, false when it failed.</summary>
    public Task<bool> Incoming => _incoming.Task;
    private readonly TaskCompletionSource<bool> _incoming = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Active
    {
        get { lock (_lock) return _status.InProgress(); }
    }

    public void SetCapability(string name, bool state)
    {
        lock (_lock)
        {
            if (Active)
                throw new MigrationException("There's a migration process in progress");
            _settings = name switch
            {
                "events" => _settings with { Events = state },
                "x-ignore-shared" => _settings with { IgnoreShared = state },
                _ => throw new MigrationException(
                    $"Parameter 'capability' does not accept value '{name}' (vnvdimm supports {string.Join(", ", Capabilities)})"),
            };
        }
    }

    public void SetMaxBandwidth(ulong bytesPerSecond)
    {
        lock (_lock)
            _settings = _settings with { MaxBandwidth = bytesPerSecond };
    }

    /// <summary>Starts sending this machine to <paramref name="uri"/>; progress through <see cref="Info"/>.</summary>
    public void Start(string uri)
    {
        MigrationUri parsed;
        MigrationSource source;
        CancellationToken cancel;
        // The machine lock makes capturing the devices and becoming Active one step for a hotplug
        // (which checks Active under the same lock): no device can be added between the two.
        using (machine.Enter())
        lock (_lock)
        {
            if (Active)
                throw new MigrationException("There's a migration process in progress");
            if (machine.RunState is RunState.InMigrate)
                throw new MigrationException("Guest is waiting for an incoming migration");
            // Its guest runs on elsewhere now: a second copy would be a stale twin (QEMU's words; cont allows it again).
            if (machine.RunState is RunState.PostMigrate)
                throw new MigrationException("Can't migrate the vm that was paused due to previous migration");
            if (machine.RunState is RunState.Shutdown)
                throw new MigrationException("The machine is shutting down");
            _error = null;
            _totalTime = null;
            // As QEMU: the address is read once the migration has begun, so a bad one leaves it failed (with the
            // reason when the address, not the protocol, was wrong).
            try
            {
                parsed = ParseUri(uri, outgoing: true);
            }
            catch (MigrationException e)
            {
                _source = null; // nothing of an earlier migration's counters belongs to this one
                SetStatusLocked(MigrationStatus.Setup);
                _error = MigrationUri.HasUnknownProtocol(uri) ? null : e.Message;
                SetStatusLocked(MigrationStatus.Failed);
                throw;
            }
            _cancel = new CancellationTokenSource();
            _source = source = new MigrationSource(machine, _settings, SetStatus, () => Settings.MaxBandwidth);
            cancel = _cancel.Token;
            SetStatusLocked(MigrationStatus.Setup);
        }
        _outgoing = StartThread("migration", () =>
        {
            try
            {
                source.Run(parsed, cancel);
                Finish(source, MigrationStatus.Completed, null);
            }
            catch (Exception e) when (cancel.IsCancellationRequested)
            {
                Finish(source, MigrationStatus.Cancelled, e.Message);
            }
            catch (Exception e) when (Expected(e))
            {
                logger.LogWarning("migration failed: {Reason}", e.Message);
                Finish(source, MigrationStatus.Failed, e.Message);
            }
            catch (Exception e)
            {
                // A defect: the migration fails with the reason, the machine runs on.
                logger.LogError(e, "migration failed: internal error");
                Finish(source, MigrationStatus.Failed, $"internal error: {e.Message}");
            }
        });
    }

    private Thread? _outgoing, _incomingThread;
    private readonly CancellationTokenSource _incomingCancel = new();

    private static Thread StartThread(string name, ThreadStart body)
    {
        var thread = new Thread(body) { IsBackground = true, Name = name };
        thread.Start();
        return thread;
    }

    /// <summary>
    /// For shutdown: cancels both directions and waits (until <paramref name="deadline"/>) for their
    /// threads to leave guest memory alone. True when they did; the machine may then be unmapped.
    /// </summary>
    public bool Shutdown(DateTime deadline)
    {
        lock (_lock)
            _cancel?.Cancel();
        _incomingCancel.Cancel();
        foreach (var thread in new[] { _outgoing, _incomingThread })
        {
            var left = deadline - DateTime.UtcNow;
            if (thread is not null && !thread.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero))
                return false;
        }
        return true;
    }

    private void Finish(MigrationSource source, MigrationStatus status, string? error)
    {
        lock (_lock)
        {
            if (!ReferenceEquals(source, _source))
                return;
            _totalTime = source.Elapsed;
            _error = error;
            SetStatusLocked(status);
        }
    }

    public void Cancel()
    {
        lock (_lock)
        {
            if (!Active)
                return;
            SetStatusLocked(MigrationStatus.Cancelling);
            _cancel?.Cancel();
        }
    }

    public MigrationInfo Info()
    {
        lock (_lock)
        {
            if (_status == MigrationStatus.None)
                return new MigrationInfo(MigrationStatus.None, null, null, null, null, null, SocketAddress: _listening);
            var s = _source;
            if (s is null)
                return new MigrationInfo(_status, _incomingTime is { } t ? (long)t.TotalMilliseconds : null, null, null, null, _error,
                    _flushTime is { } f ? (long)f.TotalMilliseconds : null, _listening); // the destination's side
            var elapsed = _totalTime ?? s.Elapsed;
            return new MigrationInfo(_status, (long)elapsed.TotalMilliseconds, s.Downtime is { } d ? (long)d.TotalMilliseconds : null,
                s.SetupTime is { } st ? (long)st.TotalMilliseconds : null, s.Progress.Snapshot(elapsed), _error);
        }
    }

    /// <summary>Waits for incoming state on <paramref name="uri"/> (-incoming, or migrate-incoming after -incoming defer).</summary>
    public void StartIncoming(string uri)
    {
        var parsed = ParseUri(uri, outgoing: false);
        lock (_lock)
        {
            if (machine.Configuration.Incoming is null)
                throw new MigrationException("'-incoming' was not specified on the command line");
            if (_incomingStarted)
                throw new MigrationException("The incoming migration has already been started");
            _incomingStarted = true;
        }
        System.Net.Sockets.Socket listener;
        try
        {
            listener = MigrationDestination.Bind(parsed);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or ArgumentException or NotSupportedException
            or UnauthorizedAccessException)
        {
            lock (_lock)
                _incomingStarted = false;
            throw new MigrationException($"Failed to listen on '{uri}': {e.Message}");
        }
        lock (_lock)
            _listening = [MigrationSocketAddress.Of(parsed, listener.LocalEndPoint)];
        var destination = new MigrationDestination(machine);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cancel = _incomingCancel.Token;
        _incomingThread = StartThread("incoming migration", () =>
        {
            using var _ = listener;
            try
            {
                destination.Listen(listener, status =>
                {
                    clock.Restart();
                    // Under the machine lock, so that a hotplug is either done before or refused after.
                    using (machine.Enter())
                        SetStatus(status);
                }, cancel);
                lock (_lock)
                {
                    _incomingTime = clock.Elapsed;
                    _flushTime = destination.LastFlush;
                    // QEMU forgets where it listened once the incoming migration is done.
                    _listening = null;
                }
                logger.LogInformation("incoming migration completed; final flush took {Ms} ms", destination.LastFlush?.TotalMilliseconds);
                SetStatus(MigrationStatus.Completed);
                machine.FinishIncomingMigration();
                _incoming.TrySetResult(true);
            }
            catch (Exception e)
            {
                bool expected = Expected(e);
                string reason = expected ? e.Message : $"internal error: {e.Message}";
                lock (_lock)
                    _error = reason;
                SetStatus(MigrationStatus.Failed);
                if (expected)
                    logger.LogError("load of migration failed: {Reason}", reason);
                else
                    logger.LogError(e, "load of migration failed: {Reason}", reason);
                _incoming.TrySetResult(false);
            }
        });
    }

    /// <summary>How a migration fails for a reason outside this program (network, stream, storage, cancel); anything else is a defect.</summary>
    private static bool Expected(Exception e) =>
        e is IOException or InvalidDataException or System.Net.Sockets.SocketException or ObjectDisposedException
            or OperationCanceledException or HostMemory.MappingException or HostMemory.StorageFault;

    /// <param name="outgoing">migrate, whose unknown protocol QEMU words as a bad parameter (migrate-incoming as -incoming).</param>
    private static MigrationUri ParseUri(string uri, bool outgoing)
    {
        try
        {
            return MigrationUri.Parse(uri);
        }
        catch (Options.ConfigurationException) when (outgoing && MigrationUri.HasUnknownProtocol(uri))
        {
            throw new MigrationException(MigrationUri.QemuProtocols.Any(p => uri.StartsWith(p, StringComparison.Ordinal))
                ? $"Parameter 'uri' expects a valid migration protocol ({MigrationUri.OnlySockets})"
                : "Parameter 'uri' expects a valid migration protocol");
        }
        catch (Options.ConfigurationException e)
        {
            throw new MigrationException(e.Message);
        }
    }

    private void SetStatus(MigrationStatus status)
    {
        lock (_lock)
            SetStatusLocked(status);
    }

    private void SetStatusLocked(MigrationStatus status)
    {
        if (_status == status)
            return;
        _status = status;
        if (_settings.Events)
            machine.Events.Publish(new MigrationStatusEvent(status));
    }
}

/// <summary>A migration command cannot be carried out (answered as a GenericError).</summary>
public sealed class MigrationException(string message) : UserError(message);
