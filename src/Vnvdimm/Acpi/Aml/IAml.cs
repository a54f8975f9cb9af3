namespace Vnvdimm.Acpi.Aml;

/// <summary>A piece of AML (ACPI 6.2A chapter 20) that appends its own encoding.</summary>
public interface IAml
{
    void AppendTo(List<byte> aml);
}

public static class AmlExtensions
{
    public static byte[] ToAml(this IAml term)
    {
        var bytes = new List<byte>();
        term.AppendTo(bytes);
        return [.. bytes];
    }
}

/// <summary>
/// PkgLength (ACPI 6.2A 20.2.4): one byte up to 63, else 2-4 bytes with the low nibble first.
/// The size is chosen as if the length field counted itself, also where it does not (field units);
/// this matches what QEMU and iASL emit.
/// </summary>
public static class AmlPackageLength
{
    public static void Append(List<byte> aml, int length, bool includesItself)
    {
        int size = length + 1 < 1 << 6 ? 1 : length + 2 < 1 << 12 ? 2 : length + 3 < 1 << 20 ? 3 : 4;
        if (includesItself)
            length += size;
        if (size == 1)
        {
            aml.Add((byte)length);
            return;
        }
        aml.Add((byte)(((size - 1) << 6) | (length & 0xf)));
        for (int shift = 4; shift < 4 + 8 * (size - 1); shift += 8)
            aml.Add((byte)(length >> shift));
    }

    /// <summary>Op, PkgLength, then the body: the form of every block (Scope, Method, If, Buffer ...).</summary>
    public static void AppendBlock(List<byte> aml, ReadOnlySpan<byte> opcode, Action<List<byte>> body)
    {
        var inner = new List<byte>();
        body(inner);
        aml.AddRange(opcode);
        Append(aml, inner.Count, includesItself: true);
        aml.AddRange(inner);
    }
}
