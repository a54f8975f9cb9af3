namespace Vnvdimm.Vmm;

/// <summary>Something the management side is told about, named as QEMU names its QMP events.</summary>
public abstract record MachineEvent(string Name)
{
    public DateTimeOffset Timestamp { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary><paramref name="Reason"/> as QEMU's ShutdownCause, e.g. "host-qmp-quit", "host-signal".</summary>
public sealed record ShutdownEvent(bool Guest, string Reason) : MachineEvent("SHUTDOWN");

public sealed record StopEvent() : MachineEvent("STOP");

public sealed record ResumeEvent() : MachineEvent("RESUME");

/// <summary>Delivers machine events to every subscriber (each monitor connection), in order.</summary>
public sealed class MachineEvents
{
    private readonly object _lock = new();
    private readonly List<Action<MachineEvent>> _subscribers = [];

    public IDisposable Subscribe(Action<MachineEvent> handler)
    {
        lock (_lock)
            _subscribers.Add(handler);
        return new Subscription(this, handler);
    }

    public void Publish(MachineEvent e)
    {
        Action<MachineEvent>[] targets;
        lock (_lock)
            targets = [.. _subscribers];
        foreach (var handler in targets)
            handler(e);
    }

    private sealed class Subscription(MachineEvents owner, Action<MachineEvent> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._lock)
                owner._subscribers.Remove(handler);
        }
    }
}

/// <summary>QEMU's MIGRATION event (sent when the "events" capability is on).</summary>
public sealed record MigrationStatusEvent(Migration.MigrationStatus Status) : MachineEvent("MIGRATION");

/// <summary>QEMU's MIGRATION_PASS event: a precopy pass over dirty memory begins.</summary>
public sealed record MigrationPassEvent(int Pass) : MachineEvent("MIGRATION_PASS");
