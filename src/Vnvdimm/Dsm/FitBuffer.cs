namespace Vnvdimm.Dsm;

/// <summary>
/// The FIT the guest reads with the reserved root handle, and whether it changed since the guest
/// last started reading it: a read sequence started at offset 0 that meets a change gets 0x100.
/// </summary>
public sealed class FitBuffer
{
    private readonly object _lock = new();
    private byte[] _fit = [];
    private bool _dirty;

    /// <summary>Replaces the FIT (at plug time) and marks it changed.</summary>
    public void Publish(byte[] fit)
    {
        lock (_lock)
        {
            _fit = fit;
            _dirty = true;
        }
    }

    /// <summary>The FIT and its changed flag, together (what migration carries).</summary>
    public (byte[] Fit, bool Dirty) Snapshot()
    {
        lock (_lock)
            return (_fit, _dirty);
    }

    /// <summary>Takes over a migrated FIT with its changed flag.</summary>
    public void Restore(byte[] fit, bool dirty)
    {
        lock (_lock)
        {
            _fit = fit;
            _dirty = dirty;
        }
    }

    public bool Dirty
    {
        get
        {
            lock (_lock)
                return _dirty;
        }
    }

    public DsmAnswer Read(uint offset)
    {
        lock (_lock)
        {
            if (offset > (uint)_fit.Length)
                return DsmAnswer.Status(DsmStatus.InvalidInput);
            if (offset == 0)
                _dirty = false;
            else if (_dirty)
                return DsmAnswer.Status(DsmStatus.FitChanged);
            int length = Math.Min(_fit.Length - (int)offset, DsmLayout.MaxFitTransfer);
            return new DsmAnswer(DsmStatus.Success, _fit.AsMemory((int)offset, length));
        }
    }
}
