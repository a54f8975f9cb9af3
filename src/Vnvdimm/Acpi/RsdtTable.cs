using System.Buffers.Binary;

namespace Vnvdimm.Acpi;

/// <summary>
/// Root System Description Table: 32-bit pointers to the other tables. The entries hold offsets
/// within the tables file; the loader's ADD_POINTER commands turn them into guest addresses.
/// </summary>
public sealed class RsdtTable(IReadOnlyList<uint> tableOffsets) : IAcpiTable
{
    public string Signature => "RSDT";

    public static int EntryOffset(int index) => AcpiTableHeader.Size + index * 4;

    public byte[] ToBytes() =>
        AcpiTableHeader.Build(Signature, 1, tableOffsets.Count * 4, body =>
        {
            for (int i = 0; i < tableOffsets.Count; i++)
                BinaryPrimitives.WriteUInt32LittleEndian(body[(i * 4)..], tableOffsets[i]);
        });
}

/// <summary>Root System Description Pointer, ACPI 1.0 form (20 bytes), as QEMU's x86 machines provide it.</summary>
public readonly record struct Rsdp(uint RsdtOffset)
{
    public const int Length = 20;
    public const int ChecksumOffset = 8;
    public const int RsdtAddressOffset = 16;

    public byte[] ToBytes()
    {
        var rsdp = new byte[Length];
        AcpiTableHeader.WriteAscii(rsdp.AsSpan(0, 8), "RSD PTR ");
        AcpiTableHeader.WriteAscii(rsdp.AsSpan(9, 6), AcpiTableHeader.OemId);
        rsdp[15] = 0; // revision 0: ACPI 1.0, RSDT only
        BinaryPrimitives.WriteUInt32LittleEndian(rsdp.AsSpan(RsdtAddressOffset), RsdtOffset);
        return rsdp;
    }
}
