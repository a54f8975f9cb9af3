using Vnvdimm.HostMemory;

namespace Vnvdimm.Migration;

/// <summary>The machine's own RAM (no -numa memdev): anonymous memory, gone with the process.</summary>
internal sealed class RamRegion(ushort index, HostMapping ram, ulong size) : MigrationRegion(index, "ram", ram, size)
{
    /// <summary>Never-written RAM is zero: only what was ever written can hold data.</summary>
    public override IEnumerable<(ulong Offset, ulong Length)> DataExtents() => Mapping.EverWrittenExtents();

    public override void Read(ulong offset, Span<byte> destination) => Mapping.Read(offset, destination);

    public override void Write(ulong offset, ReadOnlySpan<byte> data) => Mapping.Write(offset, data);

    public override void Zero(ulong offset, ulong length)
    {
        // Never-written RAM is zero already; only what was written needs looking at.
        foreach (var (start, size) in Mapping.EverWrittenExtents())
        {
            ulong from = Math.Max(start, offset), to = Math.Min(start + size, offset + length);
            if (from < to)
                Mapping.ClearNonZero(from, to - from);
        }
    }
}
