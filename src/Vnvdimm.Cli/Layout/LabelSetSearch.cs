using Microsoft.Win32.SafeHandles;
using Vnvdimm.Devices;
using Vnvdimm.Guest.Labels;

namespace Vnvdimm.Cli.Layout;

/// <summary>A label set found in a file: the area it was written for and what Linux reads there.</summary>
public sealed record FoundLabelSet(ulong Offset, ulong Size, LabelAreaState State)
{
    public ulong End => Offset + Size;
}

/// <summary>
/// Reads label areas out of a backing file without a machine: the area a configuration puts at the
/// end of its backend, and label sets an earlier configuration left elsewhere. An area ends where
/// its backend ended (the file's end, or an earlier size), so only index blocks that put the end of
/// their area there are taken for label sets.
/// </summary>
public static class LabelSetSearch
{
    /// <summary>How far before each possible end to look for an index block: beyond any label-size in use.</summary>
    public const ulong Window = 64UL << 20;

    /// <summary>Reads [offset, offset + size) of the file as a label area.</summary>
    public static (LabelAreaState State, bool AllZero) ReadArea(SafeFileHandle file, ulong offset, ulong size)
    {
        var area = new byte[size];
        int read = RandomAccess.Read(file, area, (long)offset);
        if ((ulong)read < size)
            throw new IOException($"the file ends inside its label area (0x{offset:x} + 0x{size:x})");
        bool zero = !area.AsSpan().ContainsAnyExcept((byte)0);
        return (new LabelStore(new BufferLabelStorage(area)).Load(), zero);
    }

    /// <summary>Label sets whose area ends at one of <paramref name="ends"/>, each found once.</summary>
    public static IReadOnlyList<FoundLabelSet> FindEndingAt(SafeFileHandle file, IEnumerable<ulong> ends)
    {
        var found = new List<FoundLabelSet>();
        foreach (ulong end in ends.Distinct())
        {
            ulong start = end > Window ? end - Window : 0;
            var tail = new byte[end - start];
            int read = RandomAccess.Read(file, tail, (long)start);
            var bytes = tail.AsSpan(0, read);
            for (int at = bytes.IndexOf(NamespaceIndex.Signature); at >= 0; at = Next(bytes, at))
            {
                ulong size = end - (start + (ulong)at);
                if (size < NvdimmLimits.MinLabelSize || size > uint.MaxValue)
                    continue;
                var state = new LabelStore(new BufferLabelStorage(bytes[at..].ToArray())).Load();
                if (state.Initialized && !found.Exists(f => f.Offset == start + (ulong)at && f.Size == size))
                    found.Add(new FoundLabelSet(start + (ulong)at, size, state));
            }
        }
        return found;
    }

    private static int Next(ReadOnlySpan<byte> bytes, int at)
    {
        int next = bytes[(at + 1)..].IndexOf(NamespaceIndex.Signature);
        return next < 0 ? -1 : at + 1 + next;
    }

    /// <summary>A label area already in memory; the search never writes.</summary>
    private sealed class BufferLabelStorage(byte[] area) : ILabelStorage
    {
        public uint Size => (uint)area.Length;

        public byte[] Read(uint offset, uint length) => area.AsSpan((int)offset, (int)length).ToArray();

        public void Write(uint offset, ReadOnlySpan<byte> data) => throw new InvalidOperationException("the layout planner changes nothing");
    }
}
