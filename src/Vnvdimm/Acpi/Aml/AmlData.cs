using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Vnvdimm.Acpi.Aml;

/// <summary>An integer in its shortest encoding: Zero, One, or Byte/Word/DWord/QWord with prefix.</summary>
public sealed record AmlInteger(ulong Value) : IAml
{
    public int EncodedLength => LengthOf(Value);

    public static int LengthOf(ulong value) => value switch
    {
        0 or 1 => 1,
        <= byte.MaxValue => 1 + sizeof(byte),
        <= ushort.MaxValue => 1 + sizeof(ushort),
        <= uint.MaxValue => 1 + sizeof(uint),
        _ => 1 + sizeof(ulong),
    };

    public void WriteTo(IAmlSink sink) => Write(sink, Value);

    /// <summary>Encodes an integer without making an <see cref="AmlInteger"/> for it.</summary>
    public static void Write(IAmlSink sink, ulong value)
    {
        Span<byte> encoded = stackalloc byte[1 + sizeof(ulong)];
        encoded[0] = value switch
        {
            0 => AmlOpcode.Zero,
            1 => AmlOpcode.One,
            <= byte.MaxValue => AmlOpcode.BytePrefix,
            <= ushort.MaxValue => AmlOpcode.WordPrefix,
            <= uint.MaxValue => AmlOpcode.DWordPrefix,
            _ => AmlOpcode.QWordPrefix,
        };
        BinaryPrimitives.WriteUInt64LittleEndian(encoded[1..], value);
        sink.Bytes(encoded[..LengthOf(value)]);
    }
}

/// <summary>A DWordConst whatever its value: a fixed-size place that the table loader patches.</summary>
public sealed record AmlDWord(uint Value) : IAml
{
    public int EncodedLength => 1 + sizeof(uint);

    public void WriteTo(IAmlSink sink)
    {
        Span<byte> encoded = stackalloc byte[1 + sizeof(uint)];
        encoded[0] = AmlOpcode.DWordPrefix;
        BinaryPrimitives.WriteUInt32LittleEndian(encoded[1..], Value);
        sink.Bytes(encoded);
    }
}

/// <summary>A null-terminated ASCII string constant: characters 0x01 to 0x7F (ACPI 6.2A 20.2.3), others refused.</summary>
public sealed record AmlString : IAml
{
    public AmlString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int invalid = value.AsSpan().IndexOfAnyExceptInRange('\x01', '\x7f');
        if (invalid >= 0)
            throw new ArgumentException(
                $"AML string \"{value}\": character U+{(int)value[invalid]:X4} at {invalid} is not ASCII 0x01-0x7F", nameof(value));
        Value = value;
    }

    public string Value { get; }

    public int EncodedLength => 1 + Value.Length + 1;

    public void WriteTo(IAmlSink sink)
    {
        sink.Byte(AmlOpcode.StringPrefix);
        foreach (char c in Value)
            sink.Byte((byte)c);
        sink.Byte(0);
    }
}

/// <summary>A Buffer with a constant size and initial bytes.</summary>
public sealed class AmlBuffer : IAml
{
    private readonly int _bodyLength;

    public AmlBuffer(ImmutableArray<byte> bytes)
    {
        Bytes = bytes.IsDefault ? throw new ArgumentNullException(nameof(bytes)) : bytes;
        _bodyLength = AmlInteger.LengthOf((ulong)bytes.Length) + bytes.Length;
        EncodedLength = AmlPackageLength.BlockLength(AmlOpcode.Buffer, _bodyLength);
    }

    public ImmutableArray<byte> Bytes { get; }

    public int EncodedLength { get; }

    public static AmlBuffer Zeroed(int size) => new(ImmutableCollectionsMarshal.AsImmutableArray(new byte[size]));

    /// <summary>ToUUID: the 16-byte buffer of a UUID in ACPI's mixed-endian byte order, which is .NET's.</summary>
    public static AmlBuffer Uuid(Guid uuid) => new(ImmutableCollectionsMarshal.AsImmutableArray(uuid.ToByteArray()));

    public void WriteTo(IAmlSink sink)
    {
        AmlPackageLength.WriteBlockHead(sink, AmlOpcode.Buffer, _bodyLength);
        AmlInteger.Write(sink, (ulong)Bytes.Length);
        sink.Bytes(Bytes.AsSpan());
    }
}

/// <summary>A Package of a fixed number of elements: at most 255, as its count is one byte.</summary>
public sealed class AmlPackage : IAml
{
    private readonly int _bodyLength;

    public AmlPackage(params ImmutableArray<IAml> elements)
    {
        if (elements.Length > byte.MaxValue)
            throw new ArgumentException($"An AML Package holds at most 255 elements, not {elements.Length}", nameof(elements));
        _bodyLength = 1 + AmlTerms.Length(elements);
        Elements = elements;
        EncodedLength = AmlPackageLength.BlockLength(AmlOpcode.Package, _bodyLength);
    }

    public ImmutableArray<IAml> Elements { get; }

    public int EncodedLength { get; }

    public void WriteTo(IAmlSink sink)
    {
        AmlPackageLength.WriteBlockHead(sink, AmlOpcode.Package, _bodyLength);
        sink.Byte((byte)Elements.Length);
        AmlTerms.Write(sink, Elements);
    }
}

/// <summary>Arg0..Arg6 and Local0..Local7.</summary>
public sealed record AmlVariable : IAml
{
    private AmlVariable(byte opcode) => Opcode = opcode;

    public byte Opcode { get; }

    public int EncodedLength => 1;

    public static AmlVariable Arg(int n) =>
        n is >= 0 and <= 6 ? new((byte)(AmlOpcode.Arg0 + n)) : throw new ArgumentOutOfRangeException(nameof(n));

    public static AmlVariable Local(int n) =>
        n is >= 0 and <= 7 ? new((byte)(AmlOpcode.Local0 + n)) : throw new ArgumentOutOfRangeException(nameof(n));

    public void WriteTo(IAmlSink sink) => sink.Byte(Opcode);
}
