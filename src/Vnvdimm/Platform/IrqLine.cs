using System.Collections.Immutable;

namespace Vnvdimm.Platform;

/// <summary>
/// An interrupt line into the IOAPIC and who watches it being driven (qtest clients that
/// asked for <c>irq_intercept_in ioapic</c>). The level is set under the machine lock; listeners only
/// take note there, they never do I/O.
/// </summary>
public sealed class IrqLine(int number)
{
    private ImmutableArray<Action<int, bool>> _listeners = [];

    public int Number { get; } = number;

    /// <summary>Drives the line; listeners hear every call, changed or not, as QEMU's qemu_set_irq reaches its handlers.</summary>
    public void Set(bool level)
    {
        foreach (var listener in _listeners)
            listener(Number, level);
    }

    /// <summary>Calls <paramref name="listener"/> with (line, level) each time the line is driven, until disposed.</summary>
    public IDisposable Listen(Action<int, bool> listener)
    {
        ImmutableInterlocked.Update(ref _listeners, l => l.Add(listener));
        return new Unlisten(this, listener);
    }

    private sealed class Unlisten(IrqLine line, Action<int, bool> listener) : IDisposable
    {
        public void Dispose() => ImmutableInterlocked.Update(ref line._listeners, l => l.Remove(listener));
    }
}

/// <summary>
/// Which device qtest intercepts the interrupt lines of: one per machine and for good, as in QEMU
/// (a second device is refused, the same one accepted again).
/// </summary>
public sealed class IrqIntercept
{
    /// <summary>The one device whose input lines vnvdimm models: the IOAPIC, which the SCI reaches.</summary>
    public const string Ioapic = "ioapic";

    private readonly Lock _lock = new();
    private (string Device, bool Inputs)? _intercepted;

    /// <summary>QEMU's answer to irq_intercept_in/out for an existing device.</summary>
    public string Intercept(string device, bool inputs)
    {
        lock (_lock)
        {
            if (_intercepted is var (current, _) && current != device)
                return "FAIL IRQ intercept already enabled";
            _intercepted ??= (device, inputs);
            return "OK";
        }
    }

    /// <summary>Whether the IOAPIC's inputs are intercepted: then qtest clients are told of every change of its lines.</summary>
    public bool IoapicInputs
    {
        get
        {
            lock (_lock)
                return _intercepted is (Ioapic, true);
        }
    }
}
