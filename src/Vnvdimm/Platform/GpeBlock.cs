using Vnvdimm.Options;

namespace Vnvdimm.Platform;

/// <summary>
/// The chipset's ACPI GPE0 register block: status bytes, then as many enable bytes (ACPI 6.2A 4.8.4.1).
/// Devices set status bits; the guest clears them by writing ones. A set bit stays set whatever the
/// enable bits say; they decide whether the SCI is asserted: it is while any bit is both set and enabled.
/// </summary>
public sealed class GpeBlock : IIoPortDevice, Migration.IMigratableState
{
    /// <summary>The SCI's IOAPIC input on both chipsets (the FADT's SCI_INT in QEMU's tables).</summary>
    public const int SciIrq = 9;

    private readonly byte[] _status;
    private readonly byte[] _enable;

    public GpeBlock(int length)
    {
        _status = new byte[length / 2];
        _enable = new byte[length / 2];
    }

    /// <summary>The System Control Interrupt this block drives.</summary>
    public IrqLine Sci { get; } = new(SciIrq);

    /// <summary>
    /// Where QEMU's chipsets put GPE0: PIIX4 at a fixed 0xafe0 (4 bytes); ICH9 at PMBASE + 0x20
    /// (16 bytes), with PMBASE 0x600 as the firmware programs it and QEMU's FADT describes it.
    /// </summary>
    public static (ushort Port, ushort Length) Location(ChipsetKind chipset) => chipset switch
    {
        ChipsetKind.Q35 => (0x620, 16),
        _ => (0xafe0, 4),
    };

    public string MigrationSection => "gpe0";

    /// <summary>The status bytes (enable bits are the guest's to set again).</summary>
    public byte[] SaveState() => [.. _status];

    public void CheckState(ReadOnlySpan<byte> state)
    {
        if (state.Length != _status.Length)
            throw new InvalidDataException($"the device state carries {state.Length} GPE0 status bytes; this machine has {_status.Length}");
    }

    public void LoadState(ReadOnlySpan<byte> state)
    {
        state.CopyTo(_status);
        UpdateSci();
    }

    public void Raise(int bit)
    {
        _status[bit / 8] |= (byte)(1 << (bit % 8));
        UpdateSci();
    }

    private void UpdateSci()
    {
        bool asserted = false;
        for (int i = 0; i < _status.Length; i++)
            asserted |= (_status[i] & _enable[i]) != 0;
        Sci.Set(asserted);
    }

    public bool IsRaised(int bit) => (_status[bit / 8] & (1 << (bit % 8))) != 0;

    public uint Read(ushort offset, int size)
    {
        uint value = 0;
        for (int i = 0; i < size; i++)
            value |= (uint)ByteAt(offset + i) << (8 * i);
        return value;
    }

    public void Write(ushort offset, int size, uint value)
    {
        for (int i = 0; i < size; i++)
        {
            int at = offset + i;
            byte b = (byte)(value >> (8 * i));
            if (at < _status.Length)
                _status[at] &= (byte)~b;
            else if (at - _status.Length < _enable.Length)
                _enable[at - _status.Length] = b;
        }
        UpdateSci();
    }

    private byte ByteAt(int at) =>
        at < _status.Length ? _status[at] : at - _status.Length < _enable.Length ? _enable[at - _status.Length] : (byte)0xff;
}
