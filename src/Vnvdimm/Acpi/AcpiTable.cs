using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using Vnvdimm.Acpi.Aml;

namespace Vnvdimm.Acpi;

/// <summary>An ACPI table that serialises itself, standard 36-byte header included.</summary>
public interface IAcpiTable
{
    string Signature { get; }
    byte[] ToBytes();
}

/// <summary>A place in a table that holds the guest address of a fw_cfg file, for the loader to patch.</summary>
public readonly record struct TablePointer(int OffsetInTable, string TargetFile, byte Size);

/// <summary>A table that points into another fw_cfg file: its bytes come with the places the loader patches.</summary>
public interface ILinkedAcpiTable : IAcpiTable
{
    LinkedTableBytes ToLinkedBytes();
}

/// <summary>A serialised table and the places in it that hold other files' guest addresses.</summary>
public sealed class LinkedTableBytes(ImmutableArray<byte> bytes, ImmutableArray<TablePointer> pointers)
{
    public ImmutableArray<byte> Bytes { get; } = bytes;

    public ImmutableArray<TablePointer> Pointers { get; } = pointers;
}

/// <summary>
/// The System Description Table header (ACPI 6.2A 5.2.6) with the identifiers QEMU uses, so our
/// tables compare equal to its. The checksum stays zero: the table loader's ADD_CHECKSUM fills it in.
/// </summary>
public readonly record struct AcpiTableHeader(string Signature, uint Length, byte Revision, string TableId = AcpiTableHeader.OemTableId)
{
    public const int Size = 36;
    public const int ChecksumOffset = 9;
    public const string OemId = "BOCHS ";
    public const string OemTableId = "BXPC    ";
    public const string CreatorId = "BXPC";

    public void WriteTo(Span<byte> destination)
    {
        WriteAscii(destination[..4], Signature);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Length);
        destination[8] = Revision;
        destination[ChecksumOffset] = 0;
        WriteAscii(destination.Slice(10, 6), OemId);
        WriteAscii(destination.Slice(16, 8), TableId.PadRight(8, '\0'));
        BinaryPrimitives.WriteUInt32LittleEndian(destination[24..], 1); // OEM revision
        WriteAscii(destination.Slice(28, 4), CreatorId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[32..], 1); // creator revision
    }

    /// <summary>Header plus <paramref name="body"/>, the body written by the caller into the span it is given.</summary>
    public static byte[] Build(string signature, byte revision, int bodyLength, SpanAction body, string tableId = OemTableId)
    {
        var table = new byte[Size + bodyLength];
        new AcpiTableHeader(signature, (uint)table.Length, revision, tableId).WriteTo(table);
        body(table.AsSpan(Size));
        return table;
    }

    public delegate void SpanAction(Span<byte> body);

    internal static void WriteAscii(Span<byte> destination, string text) => Encoding.ASCII.GetBytes(text, destination);
}

/// <summary>
/// The table checksum (ACPI 6.2A 5.2.6) as an AML sink: a table written into it is summed while it is
/// written, with no second pass over its bytes.
/// </summary>
public sealed class AcpiChecksum : IAmlSink
{
    private byte _sum;

    public void Byte(byte value) => _sum += value;

    public void Bytes(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
            _sum += b;
    }

    /// <summary>The byte that makes the sum of everything written zero (with the checksum byte written as zero).</summary>
    public byte Value => (byte)-_sum;

    public static byte Compute(ReadOnlySpan<byte> data)
    {
        var checksum = new AcpiChecksum();
        checksum.Bytes(data);
        return checksum.Value;
    }
}
