using System.Buffers.Binary;
using System.Text;

namespace Vnvdimm.Guest.Acpi;

/// <summary>An ACPI table as the guest reads it: header fields and the raw bytes.</summary>
public sealed record AcpiTableView(string Signature, int Offset, byte[] Bytes)
{
    public const int HeaderSize = 36;

    public byte Revision => Bytes[8];
    public string OemId => Encoding.ASCII.GetString(Bytes, 10, 6);
    public string OemTableId => Encoding.ASCII.GetString(Bytes, 16, 8);
    public ReadOnlySpan<byte> Body => Bytes.AsSpan(HeaderSize);

    public bool ChecksumValid
    {
        get
        {
            byte sum = 0;
            foreach (byte b in Bytes)
                sum += b;
            return sum == 0;
        }
    }

    /// <summary>
    /// Splits an <c>etc/acpi/tables</c> file into its tables by their length fields, stopping at the
    /// zero padding. This reads the file before the loader links it: checksums there are still zero.
    /// </summary>
    public static IReadOnlyList<AcpiTableView> Split(ReadOnlySpan<byte> blob)
    {
        var tables = new List<AcpiTableView>();
        int offset = 0;
        while (offset + 8 <= blob.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(blob[(offset + 4)..]);
            if (blob[offset] == 0 || length < 8 || length > blob.Length - offset)
                break;
            string signature = Encoding.ASCII.GetString(blob.Slice(offset, 4));
            tables.Add(new AcpiTableView(signature, offset, blob.Slice(offset, (int)length).ToArray()));
            offset += (int)length;
        }
        return tables;
    }
}
