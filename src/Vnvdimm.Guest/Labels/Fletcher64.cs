using System.Buffers.Binary;

namespace Vnvdimm.Guest.Labels;

/// <summary>
/// The Fletcher-64 variant of the NVDIMM namespace specification and Linux (nd_fletcher64): 32-bit
/// little-endian words summed into a 32-bit low half that wraps and a 64-bit high half of running sums.
/// </summary>
public static class Fletcher64
{
    public static ulong Compute(ReadOnlySpan<byte> data)
    {
        uint lo = 0;
        ulong hi = 0;
        for (int at = 0; at + 4 <= data.Length; at += 4)
        {
            lo += BinaryPrimitives.ReadUInt32LittleEndian(data[at..]);
            hi += lo;
        }
        return hi << 32 | lo;
    }

    /// <summary>The checksum of a block whose own checksum field (8 bytes at <paramref name="checksumOffset"/>) counts as zero.</summary>
    public static ulong WithFieldZeroed(ReadOnlySpan<byte> block, int checksumOffset)
    {
        var copy = block.ToArray();
        copy.AsSpan(checksumOffset, 8).Clear();
        return Compute(copy);
    }
}
