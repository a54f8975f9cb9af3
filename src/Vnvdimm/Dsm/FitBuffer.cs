namespace Vnvdimm.Dsm;

/// <summary>
/// The FIT the guest reads with the reserved root handle, and whether it changed since the guest
/// last started reading it: a read sequence started at offset 0 that meets a change gets 0x100.
/// </summary>
public sealed class FitBuffer : Migration.IMigratableState
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

    /// <summary>The FIT and its changed flag, together.</summary>
    public (byte[] Fit, bool Dirty) Snapshot()
    {
        lock (_lock)
            return (_fit, _dirty);
    }

    public string MigrationSection => "fit";

    /// <summary>u8 changed flag, then the FIT: a guest's read sequence cut by the migration restarts on the destination too.</summary>
    public byte[] SaveState()
    {
        var (fit, dirty) = Snapshot();
        return [dirty ? (byte)1 : (byte)0, .. fit];
    }

    public void CheckState(ReadOnlySpan<byte> state)
    {
        if (state.IsEmpty || state[0] > 1)
            throw new InvalidDataException("the FIT's migration state is malformed");
        // The machine descriptions matched, so the source's NVDIMMs are ours: its FIT must be the one ours make.
        if (!state[1..].SequenceEqual(Snapshot().Fit))
            throw new InvalidDataException($"the source's FIT ({state.Length - 1} bytes) does not describe this machine's NVDIMMs");
    }

    public void LoadState(ReadOnlySpan<byte> state)
    {
        byte[] fit = state[1..].ToArray();
        lock (_lock)
        {
            _fit = fit;
            _dirty = state[0] == 1;
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
