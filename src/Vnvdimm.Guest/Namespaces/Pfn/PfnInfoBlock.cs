using System.Buffers.Binary;
using System.Text;
using Vnvdimm.Guest.Labels;

namespace Vnvdimm.Guest.Namespaces.Pfn;

/// <summary>Which info block: fsdax's (NVDIMM_PFN_INFO, Linux's nd_pfn) or devdax's (NVDIMM_DAX_INFO, nd_dax). Same layout.</summary>
public enum PfnKind
{
    Pfn,
    Dax,
}

/// <summary>
/// The 4 KiB info block at offset 4 KiB of an fsdax or devdax namespace (Linux's struct nd_pfn_sb, version 1.4):
/// where the data starts, how many pages follow, where their struct pages live and at what alignment they are mapped.
/// Offsets are from the namespace's start; uuids in RFC 4122 byte order; Fletcher-64 over the block with its checksum zero.
/// </summary>
public sealed record PfnInfoBlock(
    PfnKind Kind, Guid Uuid, Guid ParentUuid, uint Flags, ushort VersionMajor, ushort VersionMinor, ulong DataOffset, ulong PageCount,
    PfnMap Map, uint StartPad, uint EndTrunc, uint Align, uint PageSize, ushort PageStructSize)
{
    /// <summary>Where the block sits in the namespace: after 4 KiB left for a partition table or boot sector.</summary>
    public const ulong Offset = 4096;

    public const int Size = 4096;
    public const ushort CurrentMajor = 1, CurrentMinor = 4;

    /// <summary>The struct page size Linux reserves room for per page when the map is in the namespace (MAX_STRUCT_PAGE_SIZE).</summary>
    public const ushort ReservedStructPageSize = 64;

    private const int SignatureLength = 16, ChecksumOffset = Size - 8;

    private static ReadOnlySpan<byte> PfnSignature => "NVDIMM_PFN_INFO\0"u8;
    private static ReadOnlySpan<byte> DaxSignature => "NVDIMM_DAX_INFO\0"u8;

    public byte[] ToBytes()
    {
        var block = new byte[Size];
        (Kind == PfnKind.Dax ? DaxSignature : PfnSignature).CopyTo(block);
        Uuid.TryWriteBytes(block.AsSpan(16), bigEndian: true, out _);
        ParentUuid.TryWriteBytes(block.AsSpan(32), bigEndian: true, out _);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(48), Flags);
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(52), VersionMajor);
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(54), VersionMinor);
        BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(56), DataOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(64), PageCount);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(72), (uint)Map);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(76), StartPad);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(80), EndTrunc);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(84), Align);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(88), PageSize);
        BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(92), PageStructSize);
        BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(ChecksumOffset), Fletcher64.Compute(block));
        return block;
    }

    /// <summary>The kind of block the bytes start with, or null when neither signature is there (no info block at all).</summary>
    public static PfnKind? SignatureOf(ReadOnlySpan<byte> bytes) =>
        bytes.StartsWith(PfnSignature) ? PfnKind.Pfn : bytes.StartsWith(DaxSignature) ? PfnKind.Dax : null;

    /// <summary>
    /// Reads a block with a signature, or says why Linux would not take it. Fields a block of an older minor version
    /// lacks read as Linux reads them (no start pad or end trunc before 1.1, no align before 1.2, 4K pages and 64-byte
    /// struct pages before 1.4).
    /// </summary>
    public static (PfnInfoBlock? Block, string? Problem) Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Size || SignatureOf(bytes) is not PfnKind kind)
            return (null, "no PFN or DAX info block signature");
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(bytes[ChecksumOffset..]);
        ulong computed = Fletcher64.WithFieldZeroed(bytes[..Size], ChecksumOffset);
        string name = Encoding.ASCII.GetString(bytes[..(SignatureLength - 1)]);
        if (stored != computed)
            return (null, $"{name} block checksum 0x{stored:x16}, its bytes sum to 0x{computed:x16}");
        ushort minor = BinaryPrimitives.ReadUInt16LittleEndian(bytes[54..]);
        var block = new PfnInfoBlock(kind,
            new Guid(bytes.Slice(16, 16), bigEndian: true),
            new Guid(bytes.Slice(32, 16), bigEndian: true),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[48..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[52..]),
            minor,
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[56..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[64..]),
            (PfnMap)BinaryPrimitives.ReadUInt32LittleEndian(bytes[72..]),
            minor < 1 ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(bytes[76..]),
            minor < 1 ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(bytes[80..]),
            minor < 2 ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(bytes[84..]),
            minor < 4 ? 4096 : BinaryPrimitives.ReadUInt32LittleEndian(bytes[88..]),
            minor < 4 ? ReservedStructPageSize : BinaryPrimitives.ReadUInt16LittleEndian(bytes[92..]));
        return (block, null);
    }
}
