namespace Vnvdimm.Acpi.Aml;

/// <summary>
/// PkgLength (ACPI 6.2A 20.2.4): one byte up to 63, else a lead byte (count of bytes that follow in
/// bits 6-7, the low nibble in bits 0-3) and 1 to 3 more bytes. The size is chosen as if the length
/// counted itself, also where it does not (field units); this matches what QEMU and iASL emit.
/// </summary>
public static class AmlPackageLength
{
    /// <summary>The largest length four bytes hold: 28 bits.</summary>
    public const int Max = (1 << 28) - 1;

    /// <summary>A whole block: its opcode, the PkgLength, and a body of <paramref name="bodyLength"/> bytes.</summary>
    public static int BlockLength(ushort opcode, int bodyLength) => AmlOpcode.Length(opcode) + Size(bodyLength) + bodyLength;

    /// <summary>A block's opcode and PkgLength; its body, of <paramref name="bodyLength"/> bytes, is the caller's to write.</summary>
    public static void WriteBlockHead(IAmlSink sink, ushort opcode, int bodyLength)
    {
        AmlOpcode.Write(sink, opcode);
        Write(sink, bodyLength, includesItself: true);
    }

    /// <summary>The bytes of the PkgLength that precedes <paramref name="length"/> bytes.</summary>
    public static int Size(int length)
    {
        if (length is < 0 or > Max - 4)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"A PkgLength holds at most {Max} bytes");
        return length + 1 < 1 << 6 ? 1 : length + 2 < 1 << 12 ? 2 : length + 3 < 1 << 20 ? 3 : 4;
    }

    public static void Write(IAmlSink sink, int length, bool includesItself)
    {
        int size = Size(length);
        if (includesItself)
            length += size;
        Span<byte> encoded = stackalloc byte[size];
        if (size == 1)
            encoded[0] = (byte)length;
        else
        {
            encoded[0] = (byte)((size - 1) << 6 | length & 0xf);
            for (int i = 1; i < size; i++)
                encoded[i] = (byte)(length >> (4 + 8 * (i - 1)));
        }
        sink.Bytes(encoded);
    }
}
