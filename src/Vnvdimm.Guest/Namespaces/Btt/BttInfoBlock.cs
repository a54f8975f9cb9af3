using System.Buffers.Binary;
using Vnvdimm.Guest.Labels;

namespace Vnvdimm.Guest.Namespaces.Btt;

/// <summary>Why a 4 KiB block is or is not an arena info block Linux would accept (before the parent uuid is compared).</summary>
public enum BttInfoStatus { Valid, NoSignature, BadChecksum }

/// <summary>
/// A BTT arena's info block (struct btt_sb, 4096 bytes, little-endian): at the arena's start and, as a copy, at its end. Offsets
/// are relative to the arena's start. The uuids are stored in RFC 4122 byte order; the checksum is Fletcher-64 over the block
/// with the checksum field zero.
/// </summary>
public sealed record BttInfoBlock(Guid Uuid, Guid ParentUuid, uint Flags, ushort VersionMajor, ushort VersionMinor,
    uint ExternalLbaSize, uint ExternalNlba, uint InternalLbaSize, uint InternalNlba, uint Nfree, uint InfoSize,
    ulong NextOff, ulong DataOff, ulong MapOff, ulong LogOff, ulong Info2Off)
{
    public const int Size = 4096;
    private const int ChecksumOffset = Size - 8;

    /// <summary>"BTT_ARENA_INFO" and its terminator, zero padded to the 16-byte field Linux compares whole.</summary>
    private static ReadOnlySpan<byte> Signature => "BTT_ARENA_INFO\0\0"u8;

    /// <summary>Linux's rule: an all-zero parent uuid matches any namespace; otherwise it must be the namespace's.</summary>
    public bool BelongsTo(Guid namespaceUuid) => ParentUuid == Guid.Empty || ParentUuid == namespaceUuid;

    public byte[] ToBytes()
    {
        var block = new byte[Size];
        var s = block.AsSpan();
        Signature.CopyTo(s);
        Uuid.TryWriteBytes(s[16..], bigEndian: true, out _);
        ParentUuid.TryWriteBytes(s[32..], bigEndian: true, out _);
        BinaryPrimitives.WriteUInt32LittleEndian(s[48..], Flags);
        BinaryPrimitives.WriteUInt16LittleEndian(s[52..], VersionMajor);
        BinaryPrimitives.WriteUInt16LittleEndian(s[54..], VersionMinor);
        BinaryPrimitives.WriteUInt32LittleEndian(s[56..], ExternalLbaSize);
        BinaryPrimitives.WriteUInt32LittleEndian(s[60..], ExternalNlba);
        BinaryPrimitives.WriteUInt32LittleEndian(s[64..], InternalLbaSize);
        BinaryPrimitives.WriteUInt32LittleEndian(s[68..], InternalNlba);
        BinaryPrimitives.WriteUInt32LittleEndian(s[72..], Nfree);
        BinaryPrimitives.WriteUInt32LittleEndian(s[76..], InfoSize);
        BinaryPrimitives.WriteUInt64LittleEndian(s[80..], NextOff);
        BinaryPrimitives.WriteUInt64LittleEndian(s[88..], DataOff);
        BinaryPrimitives.WriteUInt64LittleEndian(s[96..], MapOff);
        BinaryPrimitives.WriteUInt64LittleEndian(s[104..], LogOff);
        BinaryPrimitives.WriteUInt64LittleEndian(s[112..], Info2Off);
        BinaryPrimitives.WriteUInt64LittleEndian(s[ChecksumOffset..], Fletcher64.Compute(block));
        return block;
    }

    /// <summary>Reads a block as Linux's nd_btt_arena_is_valid does: the signature first, then the checksum.</summary>
    public static (BttInfoBlock? Block, BttInfoStatus Status) Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Size)
            throw new ArgumentException($"an info block is {Size} bytes, not {bytes.Length}", nameof(bytes));
        var s = bytes[..Size];
        if (!s[..Signature.Length].SequenceEqual(Signature))
            return (null, BttInfoStatus.NoSignature);
        if (Fletcher64.WithFieldZeroed(s, ChecksumOffset) != BinaryPrimitives.ReadUInt64LittleEndian(s[ChecksumOffset..]))
            return (null, BttInfoStatus.BadChecksum);
        return (new BttInfoBlock(
            new Guid(s.Slice(16, 16), bigEndian: true),
            new Guid(s.Slice(32, 16), bigEndian: true),
            BinaryPrimitives.ReadUInt32LittleEndian(s[48..]),
            BinaryPrimitives.ReadUInt16LittleEndian(s[52..]),
            BinaryPrimitives.ReadUInt16LittleEndian(s[54..]),
            BinaryPrimitives.ReadUInt32LittleEndian(s[56..]),
            BinaryPrimitives.ReadUInt32LittleEndian(s[60..]),
            BinaryPrimitives.ReadUInt32LittleEndian(s[64..]),
            BinaryPrimitives.ReadUInt32LittleEndian(s[68..]),
            BinaryPrimitives.ReadUInt32LittleEndian(s[72..]),
            BinaryPrimitives.ReadUInt32LittleEndian(s[76..]),
            BinaryPrimitives.ReadUInt64LittleEndian(s[80..]),
            BinaryPrimitives.ReadUInt64LittleEndian(s[88..]),
            BinaryPrimitives.ReadUInt64LittleEndian(s[96..]),
            BinaryPrimitives.ReadUInt64LittleEndian(s[104..]),
            BinaryPrimitives.ReadUInt64LittleEndian(s[112..])), BttInfoStatus.Valid);
    }
}
