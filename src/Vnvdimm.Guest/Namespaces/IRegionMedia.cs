namespace Vnvdimm.Guest.Namespaces;

/// <summary>
/// The bytes of a pmem region, where namespaces keep their info blocks: offset 0 is the region's first byte (DPA 0 of
/// its DIMM). Offline, the backing file; in a machine, guest-physical memory at the region's SPA base.
/// </summary>
public interface IRegionMedia
{
    /// <summary>The region's size in bytes: nothing is read or written past it.</summary>
    ulong Size { get; }

    byte[] Read(ulong offset, int length);

    void Write(ulong offset, ReadOnlySpan<byte> data);

    /// <summary>Makes what was written durable (fsync offline; a machine's memory is as durable as its backend).</summary>
    void Flush();
}

/// <summary>The bound every region media keeps: nothing read or written past the region's end.</summary>
internal static class RegionBounds
{
    public static void Check(ulong size, ulong offset, ulong length)
    {
        if (offset > size || length > size - offset)
            throw new ArgumentOutOfRangeException(nameof(offset), $"0x{offset:x}+0x{length:x} is outside the 0x{size:x}-byte region");
    }
}
