using System.Buffers.Binary;
using System.Text;
using Vnvdimm.Guest.Acpi;
using Vnvdimm.Guest.Transport;

namespace Vnvdimm.Guest.Firmware;

/// <summary>An ACPI table found in guest memory through the RSDT.</summary>
public sealed record GuestTable(ulong Address, AcpiTableView Table);

/// <summary>
/// Finds the RSDP the way an OS does (the "RSD PTR " signature on a 16-byte boundary, checksum
/// over its 20 bytes), then follows the RSDT to every table, reading each from guest memory and
/// verifying its checksum.
/// </summary>
public static class AcpiWalker
{
    public static readonly byte[] RsdpSignature = "RSD PTR "u8.ToArray();
    public const int RsdpLength = 20;

    public static (ulong Rsdp, IReadOnlyList<GuestTable> Tables) Walk(IGuestConnection guest, ulong searchStart, ulong searchLength)
    {
        var area = guest.ReadMemory(searchStart, (int)searchLength);
        for (int at = 0; at + RsdpLength <= area.Length; at += 16)
        {
            if (!area.AsSpan(at, 8).SequenceEqual(RsdpSignature))
                continue;
            if (Sum(area.AsSpan(at, RsdpLength)) != 0)
                throw new InvalidDataException($"RSDP at 0x{searchStart + (ulong)at:x} has a bad checksum");
            ulong rsdp = searchStart + (ulong)at;
            uint rsdtAddress = BinaryPrimitives.ReadUInt32LittleEndian(area.AsSpan(at + 16));
            var rsdt = ReadTable(guest, rsdtAddress);
            if (rsdt.Table.Signature != "RSDT")
                throw new InvalidDataException($"the RSDP points at '{rsdt.Table.Signature}', not an RSDT");
            var tables = new List<GuestTable> { rsdt };
            var entries = rsdt.Table.Body;
            for (int e = 0; e + 4 <= entries.Length; e += 4)
                tables.Add(ReadTable(guest, BinaryPrimitives.ReadUInt32LittleEndian(entries[e..])));
            return (rsdp, tables);
        }
        throw new InvalidDataException($"no RSDP in 0x{searchStart:x}-0x{searchStart + searchLength:x}");
    }

    private static GuestTable ReadTable(IGuestConnection guest, ulong address)
    {
        var header = guest.ReadMemory(address, AcpiTableView.HeaderSize);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
        if (length < AcpiTableView.HeaderSize || length > 16 << 20)
            throw new InvalidDataException($"table at 0x{address:x} has length {length}");
        var bytes = guest.ReadMemory(address, (int)length);
        var table = new AcpiTableView(Encoding.ASCII.GetString(bytes, 0, 4), 0, bytes);
        if (!table.ChecksumValid)
            throw new InvalidDataException($"{table.Signature} at 0x{address:x} has a bad checksum");
        return new GuestTable(address, table);
    }

    private static byte Sum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes)
            sum += b;
        return sum;
    }

    /// <summary>
    /// The guest address of the DSM page: the value the loader patched into <c>Name (MEMA, ...)</c>
    /// of the NVDIMM SSDT (NameOp, "MEMA", DWordPrefix, the address).
    /// </summary>
    public static uint? DsmPageAddress(IEnumerable<GuestTable> tables)
    {
        ReadOnlySpan<byte> pattern = [0x08, (byte)'M', (byte)'E', (byte)'M', (byte)'A', 0x0C];
        foreach (var t in tables.Where(t => t.Table.Signature == "SSDT" && t.Table.OemTableId.StartsWith("NVDIMM", StringComparison.Ordinal)))
        {
            int at = t.Table.Bytes.AsSpan().IndexOf(pattern);
            if (at >= 0 && at + pattern.Length + 4 <= t.Table.Bytes.Length)
                return BinaryPrimitives.ReadUInt32LittleEndian(t.Table.Bytes.AsSpan(at + pattern.Length));
        }
        return null;
    }
}
