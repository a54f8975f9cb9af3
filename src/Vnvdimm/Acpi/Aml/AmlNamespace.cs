using System.Collections.Immutable;

namespace Vnvdimm.Acpi.Aml;

public sealed class AmlScope : AmlContainer
{
    public AmlScope(string name, params ImmutableArray<IAml> terms) : this(new AmlPath(name), terms)
    {
    }

    public AmlScope(AmlPath name, params ImmutableArray<IAml> terms) : base(AmlOpcode.Scope, name.EncodedLength, terms) => Name = name;

    public AmlPath Name { get; }

    private protected override void WriteHead(IAmlSink sink) => Name.WriteTo(sink);
}

public sealed class AmlDevice : AmlContainer
{
    public AmlDevice(string name, params ImmutableArray<IAml> terms) : this(new AmlPath(name), terms)
    {
    }

    public AmlDevice(AmlPath name, params ImmutableArray<IAml> terms) : base(AmlOpcode.Device, name.EncodedLength, terms) => Name = name;

    public AmlPath Name { get; }

    private protected override void WriteHead(IAmlSink sink) => Name.WriteTo(sink);
}

/// <summary>Method(NAME, args, Serialized|NotSerialized) { terms }.</summary>
public sealed class AmlMethod : AmlContainer
{
    /// <summary>Seven: Arg0 to Arg6.</summary>
    public const int MaxArguments = 7;

    public AmlMethod(string name, int argumentCount, bool serialized, params ImmutableArray<IAml> terms)
        : this(new AmlPath(name), argumentCount, serialized, terms)
    {
    }

    public AmlMethod(AmlPath name, int argumentCount, bool serialized, params ImmutableArray<IAml> terms)
        : this(name, Flags(argumentCount, serialized), terms)
    {
    }

    private AmlMethod(AmlPath name, byte flags, ImmutableArray<IAml> terms)
        : base(AmlOpcode.Method, name.EncodedLength + sizeof(byte), terms)
    {
        Name = name;
        MethodFlags = flags;
    }

    public AmlPath Name { get; }

    /// <summary>MethodFlags: the argument count in bits 0-2, SerializeFlag in bit 3, SyncLevel 0.</summary>
    public byte MethodFlags { get; }

    private protected override void WriteHead(IAmlSink sink)
    {
        Name.WriteTo(sink);
        sink.Byte(MethodFlags);
    }

    private static byte Flags(int argumentCount, bool serialized)
    {
        if (argumentCount is < 0 or > MaxArguments)
            throw new ArgumentOutOfRangeException(nameof(argumentCount), argumentCount, "An AML method takes 0 to 7 arguments");
        return (byte)(argumentCount | (serialized ? 1 << 3 : 0));
    }
}

/// <summary>ASL's Name(NAME, value): declares a named object holding a value. A reference to it is an <see cref="AmlPath"/>.</summary>
public sealed class AmlNamedValue : IAml
{
    public AmlNamedValue(string name, IAml value) : this(new AmlPath(name), value)
    {
    }

    public AmlNamedValue(AmlPath name, IAml value)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Value = value ?? throw new ArgumentNullException(nameof(value));
        EncodedLength = checked(1 + Name.EncodedLength + value.EncodedLength);
    }

    public AmlPath Name { get; }

    public IAml Value { get; }

    public int EncodedLength { get; }

    public void WriteTo(IAmlSink sink)
    {
        sink.Byte(AmlOpcode.Name);
        Name.WriteTo(sink);
        Value.WriteTo(sink);
    }
}

/// <summary>A call of a method by name with its arguments: at most 7, as a method has Arg0 to Arg6.</summary>
public sealed class AmlMethodCall : IAml
{
    public AmlMethodCall(string name, params ImmutableArray<IAml> arguments)
    {
        if (arguments.Length > AmlMethod.MaxArguments)
            throw new ArgumentException($"An AML method takes at most 7 arguments, not {arguments.Length}", nameof(arguments));
        Name = new AmlPath(name);
        Arguments = arguments;
        EncodedLength = checked(Name.EncodedLength + AmlTerms.Length(arguments));
    }

    public AmlPath Name { get; }

    public ImmutableArray<IAml> Arguments { get; }

    public int EncodedLength { get; }

    public void WriteTo(IAmlSink sink)
    {
        Name.WriteTo(sink);
        AmlTerms.Write(sink, Arguments);
    }
}
