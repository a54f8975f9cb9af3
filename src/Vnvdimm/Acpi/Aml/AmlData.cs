using System.Text;

namespace Vnvdimm.Acpi.Aml;

/// <summary>An integer in its shortest encoding: Zero, One, or Byte/Word/DWord/QWord with prefix.</summary>
public sealed record AmlInteger(ulong Value) : IAml
{
    public void AppendTo(AmlWriter aml) => Append(aml, Value);

    /// <summary>Encodes an integer without making an <see cref="AmlInteger"/> for it.</summary>
    public static void Append(AmlWriter aml, ulong value)
    {
        switch (value)
        {
            case 0:
                aml.Add(AmlOpcode.Zero);
                return;
            case 1:
                aml.Add(AmlOpcode.One);
                return;
            case <= 0xff:
                aml.Add(AmlOpcode.BytePrefix);
                Little(aml, value, 1);
                return;
            case <= 0xffff:
                aml.Add(AmlOpcode.WordPrefix);
                Little(aml, value, 2);
                return;
            case <= 0xffffffff:
                aml.Add(AmlOpcode.DWordPrefix);
                Little(aml, value, 4);
                return;
            default:
                aml.Add(AmlOpcode.QWordPrefix);
                Little(aml, value, 8);
                return;
        }
    }

    private static void Little(AmlWriter aml, ulong value, int bytes)
    {
        for (int i = 0; i < bytes; i++)
            aml.Add((byte)(value >> (8 * i)));
    }
}

/// <summary>A null-terminated ASCII string constant.</summary>
public sealed record AmlString(string Value) : IAml
{
    public void AppendTo(AmlWriter aml)
    {
        aml.Add(AmlOpcode.StringPrefix);
        aml.AddRange(Encoding.ASCII.GetBytes(Value));
        aml.Add(0);
    }
}

/// <summary>A Buffer with a constant size and initial bytes.</summary>
public sealed record AmlBuffer(byte[] Bytes) : IAml
{
    public static AmlBuffer Zeroed(int size) => new(new byte[size]);

    /// <summary>ToUUID: the 16-byte buffer of a UUID string in ACPI's mixed-endian byte order.</summary>
    public static AmlBuffer Uuid(string uuid) => new(Guid.Parse(uuid).ToByteArray());

    public void AppendTo(AmlWriter aml)
    {
        int start = AmlPackageLength.BeginBlock(aml, AmlOpcode.Buffer);
        AmlInteger.Append(aml, (ulong)Bytes.Length);
        aml.AddRange(Bytes);
        AmlPackageLength.EndBlock(aml, start);
    }
}

/// <summary>A Package of a fixed number of elements.</summary>
public sealed record AmlPackage(params IAml[] Elements) : IAml
{
    public void AppendTo(AmlWriter aml)
    {
        int start = AmlPackageLength.BeginBlock(aml, AmlOpcode.Package);
        aml.Add((byte)Elements.Length);
        foreach (var e in Elements)
            e.AppendTo(aml);
        AmlPackageLength.EndBlock(aml, start);
    }
}

/// <summary>Arg0..Arg6 and Local0..Local7.</summary>
public sealed record AmlVariable(byte Opcode) : IAml
{
    public static AmlVariable Arg(int n) => n is >= 0 and <= 6 ? new((byte)(AmlOpcode.Arg0 + n)) : throw new ArgumentOutOfRangeException(nameof(n));
    public static AmlVariable Local(int n) => n is >= 0 and <= 7 ? new((byte)(AmlOpcode.Local0 + n)) : throw new ArgumentOutOfRangeException(nameof(n));

    public void AppendTo(AmlWriter aml) => aml.Add(Opcode);
}
