namespace Vnvdimm.Acpi.Aml;

/// <summary>A piece of AML (ACPI 6.2A chapter 20) that appends its own encoding.</summary>
public interface IAml
{
    void AppendTo(AmlWriter aml);
}

public static class AmlExtensions
{
    public static byte[] ToAml(this IAml term)
    {
        using var writer = new AmlWriter();
        term.AppendTo(writer);
        return writer.ToArray();
    }
}

/// <summary>
/// PkgLength (ACPI 6.2A 20.2.4): one byte up to 63, else 2-4 bytes with the low nibble first.
/// The size is chosen as if the length field counted itself, also where it does not (field units);
/// this matches what QEMU and iASL emit.
/// </summary>
public static class AmlPackageLength
{
    public static void Append(AmlWriter aml, int length, bool includesItself)
    {
        Span<byte> encoded = stackalloc byte[4];
        aml.AddRange(encoded[..Encode(encoded, length, includesItself)]);
    }

    /// <summary>
    /// Starts a block (Scope, Method, If, Buffer ...): Op, then the body the caller appends, then
    /// <see cref="EndBlock"/> inserts the PkgLength in front of the body. Writing in place keeps
    /// nesting free of extra buffers.
    /// </summary>
    public static int BeginBlock(AmlWriter aml, ushort opcode)
    {
        AmlOpcode.Write(aml, opcode);
        return aml.Count;
    }

    public static void EndBlock(AmlWriter aml, int bodyStart)
    {
        Span<byte> length = stackalloc byte[4];
        int count = Encode(length, aml.Count - bodyStart, includesItself: true);
        aml.Insert(bodyStart, length[..count]);
    }

    private static int Encode(Span<byte> destination, int length, bool includesItself)
    {
        int size = length + 1 < 1 << 6 ? 1 : length + 2 < 1 << 12 ? 2 : length + 3 < 1 << 20 ? 3 : 4;
        if (includesItself)
            length += size;
        if (size == 1)
        {
            destination[0] = (byte)length;
            return 1;
        }
        destination[0] = (byte)(((size - 1) << 6) | (length & 0xf));
        for (int i = 1; i < size; i++)
            destination[i] = (byte)(length >> (4 + 8 * (i - 1)));
        return size;
    }
}
