using System.Buffers.Binary;
using System.Collections;

namespace Vnvdimm.Guest.Labels;

/// <summary>
/// A namespace index block (struct nd_namespace_index): signature, sequence number (1, 2, 3 cyclic),
/// its own and the other block's offsets, where labels start, the slot count, the version, a
/// Fletcher-64 checksum over the whole block, and the free bitmap (a set bit is a free slot).
/// </summary>
public sealed record NamespaceIndex(uint Sequence, ulong MyOffset, ulong MySize, ulong OtherOffset, ulong LabelOffset,
    uint SlotCount, ushort Major, ushort Minor, byte LabelSizeCode, BitArray Free)
{
    public static ReadOnlySpan<byte> Signature => "NAMESPACE_INDEX\0"u8;
    private const int ChecksumOffset = 64, FreeOffset = 72;

    /// <summary>The label size this block declares: 128 for v1.1, otherwise 128 shifted by the size code.</summary>
    public int DeclaredLabelSize => Major == 1 && Minor == 1 ? 128 : 128 << LabelSizeCode;

    public LabelVersion Version => DeclaredLabelSize == 128 ? LabelVersion.V1_1 : LabelVersion.V1_2;

    /// <summary>A fresh index for a block of <paramref name="geometry"/>, every slot free, as Linux initialises one.</summary>
    public static NamespaceIndex Fresh(LabelGeometry geometry, int block, uint sequence)
    {
        var free = new BitArray((int)geometry.SlotCount, true);
        return new NamespaceIndex(sequence, geometry.IndexOffset(block), geometry.IndexSize, geometry.IndexOffset(1 - block),
            geometry.LabelsOffset, geometry.SlotCount, 1, geometry.Version == LabelVersion.V1_1 ? (ushort)1 : (ushort)2,
            (byte)(geometry.LabelSize >> 8), free);
    }

    /// <summary>The block's bytes with its checksum, <see cref="MySize"/> long.</summary>
    public byte[] ToBytes()
    {
        var block = new byte[MySize];
        Signature.CopyTo(block);
        block[19] = LabelSizeCode;
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(20), Sequence);
        BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(24), MyOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(32), MySize);
        BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(40), OtherOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(48), LabelOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(56), SlotCount);
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(60), Major);
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(62), Minor);
        for (int slot = 0; slot < Free.Length; slot++)
            if (Free[slot])
                block[FreeOffset + slot / 8] |= (byte)(1 << (slot % 8));
        BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(ChecksumOffset), Fletcher64.Compute(block));
        return block;
    }

    /// <summary>
    /// Reads the block at <paramref name="block"/> of an area laid out as <paramref name="geometry"/>,
    /// or says why it is not a valid index (Linux's checks, in its order).
    /// </summary>
    public static (NamespaceIndex? Index, string? Problem) Parse(ReadOnlySpan<byte> area, LabelGeometry geometry, int block)
    {
        uint at = geometry.IndexOffset(block);
        var bytes = area.Slice((int)at, (int)geometry.IndexSize);
        if (!bytes[..16].SequenceEqual(Signature))
            return (null, "no NAMESPACE_INDEX signature");
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(bytes[ChecksumOffset..]);
        if (Fletcher64.WithFieldZeroed(bytes, ChecksumOffset) != stored)
            return (null, $"bad checksum (stored 0x{stored:x16})");
        ushort major = BinaryPrimitives.ReadUInt16LittleEndian(bytes[60..]), minor = BinaryPrimitives.ReadUInt16LittleEndian(bytes[62..]);
        uint slots = BinaryPrimitives.ReadUInt32LittleEndian(bytes[56..]);
        var index = new NamespaceIndex(
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[20..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[32..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[40..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[48..]),
            slots, major, minor, bytes[19], ReadFree(bytes[FreeOffset..], Math.Min(slots, geometry.SlotCount)));
        if (index.DeclaredLabelSize != geometry.LabelSize)
            return (null, $"declares {index.DeclaredLabelSize}-byte labels");
        if ((index.Sequence & 3) == 0)
            return (null, $"invalid sequence number {index.Sequence}");
        if (index.MyOffset != at || index.OtherOffset != geometry.IndexOffset(1 - block) || index.LabelOffset != geometry.LabelsOffset)
            return (null, $"offsets do not match the area (my 0x{index.MyOffset:x}, other 0x{index.OtherOffset:x}, labels 0x{index.LabelOffset:x})");
        if (index.MySize > geometry.IndexSize || index.MySize < IndexHeaderSizeMinimum)
            return (null, $"size 0x{index.MySize:x} out of range");
        if ((ulong)slots * (ulong)geometry.LabelSize + 2 * geometry.IndexSize > geometry.AreaSize)
            return (null, $"{slots} slots do not fit the area");
        return (index, null);
    }

    private const ulong IndexHeaderSizeMinimum = LabelGeometry.IndexHeaderSize;

    private static BitArray ReadFree(ReadOnlySpan<byte> bitmap, uint slots)
    {
        var free = new BitArray((int)slots);
        for (int slot = 0; slot < slots; slot++)
            free[slot] = (bitmap[slot / 8] & (1 << (slot % 8))) != 0;
        return free;
    }

    /// <summary>Linux's newer-of-two rule: 1 → 2 → 3 → 1; 0 never wins.</summary>
    public static uint Next(uint sequence) => (sequence & 3) switch { 1 => 2, 2 => 3, 3 => 1, _ => 0 };

    /// <summary>
    /// Which of two valid blocks is current: the one whose sequence follows the other's. Exactly
    /// Linux's choice (best_seq(seq1, seq0) == seq1 picks block 1), equal sequences included.
    /// </summary>
    public static int Current(uint sequence0, uint sequence1)
    {
        uint a = sequence1 & 3, b = sequence0 & 3;
        uint best = a == 0 || a == b ? b : b == 0 ? a : Next(a) == b ? b : a;
        return best == sequence1 ? 1 : 0;
    }
}
