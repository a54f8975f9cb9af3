using Vnvdimm.HostMemory;

namespace Vnvdimm.Platform;

/// <summary>
/// The guest-physical address space: RAM and NVDIMM regions mapped straight onto host mappings.
/// Reads of unmapped addresses return zeros and writes there are dropped, as on QEMU's x86 machines.
/// </summary>
public sealed class GuestAddressSpace
{
    private sealed record Region(GuestRange Range, HostMapping Mapping, ulong Offset, string Name);

    private readonly List<Region> _regions = [];

    public void Map(GuestRange range, HostMapping mapping, ulong offset, string name)
    {
        if (offset > mapping.Length || range.Size > mapping.Length - offset)
            throw new ArgumentOutOfRangeException(nameof(range), $"{name}: region larger than its mapping");
        foreach (var r in _regions)
            if (r.Range.Overlaps(range))
                throw new InvalidOperationException($"{name} overlaps {r.Name}");
        _regions.Add(new Region(range, mapping, offset, name));
        _regions.Sort((a, b) => a.Range.Base.CompareTo(b.Range.Base));
    }

    public void Read(ulong address, Span<byte> destination)
    {
        destination.Clear();
        foreach (var (region, regionOffset, bufferOffset, length) in Pieces(address, (ulong)destination.Length))
            region.Mapping.Read(region.Offset + regionOffset, destination.Slice((int)bufferOffset, length));
    }

    public void Write(ulong address, ReadOnlySpan<byte> source)
    {
        foreach (var (region, regionOffset, bufferOffset, length) in Pieces(address, (ulong)source.Length))
            if (region.Mapping.Writable)
                region.Mapping.Write(region.Offset + regionOffset, source.Slice((int)bufferOffset, length));
    }

    public void Fill(ulong address, ulong length, byte value)
    {
        foreach (var (region, regionOffset, _, chunk) in Pieces(address, length))
            if (region.Mapping.Writable)
                region.Mapping.Fill(region.Offset + regionOffset, (ulong)chunk, value);
    }

    /// <summary>The guest ranges within [address, address+length) that something is mapped at (holes skipped).</summary>
    public IReadOnlyList<(ulong Address, ulong Length)> MappedRanges(ulong address, ulong length)
    {
        ulong end = address + length < address ? ulong.MaxValue : address + length;
        var ranges = new List<(ulong, ulong)>();
        foreach (var region in _regions)
        {
            ulong start = Math.Max(address, region.Range.Base), stop = Math.Min(end, region.Range.End);
            if (start < stop)
                ranges.Add((start, stop - start));
        }
        return ranges;
    }

    // The mapped pieces of [address, address+length), in chunks that fit a span.
    private IEnumerable<(Region Region, ulong RegionOffset, ulong BufferOffset, int Length)> Pieces(ulong address, ulong length)
    {
        ulong end = address + length < address ? ulong.MaxValue : address + length;
        foreach (var region in _regions)
        {
            ulong start = Math.Max(address, region.Range.Base);
            ulong stop = Math.Min(end, region.Range.End);
            for (ulong at = start; at < stop;)
            {
                int chunk = (int)Math.Min(stop - at, 1UL << 30);
                yield return (region, at - region.Range.Base, at - address, chunk);
                at += (ulong)chunk;
            }
        }
    }
}
