using System.Buffers.Binary;
using System.Text;

namespace Vnvdimm.Guest.Labels;

/// <summary>
/// A namespace label (v1.1: the first 128 bytes of struct nvdimm_efi_label; v1.2: all 256, with the
/// type and abstraction GUIDs and a Fletcher-64 checksum). The uuid is stored in RFC 4122 byte order,
/// the GUIDs in the NFIT's (mixed-endian) order, as Linux stores them.
/// </summary>
public sealed record NamespaceLabel(Guid Uuid, string Name, uint Flags, ushort LabelCount, ushort Position, ulong InterleaveSetCookie,
    ulong LbaSize, ulong Dpa, ulong RawSize, uint Slot, Guid TypeGuid, Guid AbstractionGuid)
{
    public const uint FlagReadOnly = 0x1, FlagLocal = 0x2, FlagBtt = 0x4, FlagUpdating = 0x8;
    public const int NameLength = 64;
    private const int ChecksumOffset = 248;

    /// <summary>The address-range type GUID of persistent memory (ACPI 6.2A 5.2.25.2), a pmem label's type.</summary>
    public static readonly Guid PmemTypeGuid = new("66f0d379-b4f3-4074-ac43-0d3318b78cdb");

    public ulong End => Dpa + RawSize;

    public byte[] ToBytes(LabelVersion version)
    {
        var label = new byte[version == LabelVersion.V1_1 ? 128 : 256];
        Uuid.TryWriteBytes(label, bigEndian: true, out _);
        Encoding.UTF8.GetBytes(Name, label.AsSpan(16, NameLength - 1));
        BinaryPrimitives.WriteUInt32LittleEndian(label.AsSpan(80), Flags);
        BinaryPrimitives.WriteUInt16LittleEndian(label.AsSpan(84), LabelCount);
        BinaryPrimitives.WriteUInt16LittleEndian(label.AsSpan(86), Position);
        BinaryPrimitives.WriteUInt64LittleEndian(label.AsSpan(88), InterleaveSetCookie);
        BinaryPrimitives.WriteUInt64LittleEndian(label.AsSpan(96), LbaSize);
        BinaryPrimitives.WriteUInt64LittleEndian(label.AsSpan(104), Dpa);
        BinaryPrimitives.WriteUInt64LittleEndian(label.AsSpan(112), RawSize);
        BinaryPrimitives.WriteUInt32LittleEndian(label.AsSpan(120), Slot);
        if (version == LabelVersion.V1_2)
        {
            TypeGuid.TryWriteBytes(label.AsSpan(128));
            AbstractionGuid.TryWriteBytes(label.AsSpan(144));
            BinaryPrimitives.WriteUInt64LittleEndian(label.AsSpan(ChecksumOffset), Fletcher64.Compute(label));
        }
        return label;
    }

    /// <summary>Reads the label in <paramref name="slot"/>, or says why Linux would not use it.</summary>
    public static (NamespaceLabel? Label, string? Problem) Parse(ReadOnlySpan<byte> bytes, LabelVersion version, uint slot)
    {
        if (version == LabelVersion.V1_2)
        {
            ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(bytes[ChecksumOffset..]);
            if (Fletcher64.WithFieldZeroed(bytes[..256], ChecksumOffset) != stored)
                return (null, $"slot {slot}: bad label checksum");
        }
        var nameBytes = bytes.Slice(16, NameLength);
        int nul = nameBytes.IndexOf((byte)0);
        var label = new NamespaceLabel(
            new Guid(bytes[..16], bigEndian: true),
            Encoding.UTF8.GetString(nul < 0 ? nameBytes : nameBytes[..nul]),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[80..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[84..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[86..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[88..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[96..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[104..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[112..]),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[120..]),
            version == LabelVersion.V1_2 ? new Guid(bytes.Slice(128, 16)) : Guid.Empty,
            version == LabelVersion.V1_2 ? new Guid(bytes.Slice(144, 16)) : Guid.Empty);
        if (label.Slot != slot)
            return (null, $"slot {slot}: the label says it is in slot {label.Slot}");
        return (label, null);
    }
}
