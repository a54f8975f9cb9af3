namespace Vnvdimm.Acpi.Aml;

/// <summary>
/// A block with a term list: opcode, PkgLength, a head (name, predicate, flags), then the terms.
/// Scope, Device, Method, If, Else and While differ only in opcode and head.
/// </summary>
public abstract record AmlContainer(ushort Opcode) : IAml
{
    public List<IAml> Terms { get; } = new(8);

    public AmlContainer Add(params IAml[] terms)
    {
        Terms.AddRange(terms);
        return this;
    }

    protected abstract void AppendHead(AmlWriter aml);

    public void AppendTo(AmlWriter aml)
    {
        int start = AmlPackageLength.BeginBlock(aml, Opcode);
        AppendHead(aml);
        foreach (var t in Terms)
            t.AppendTo(aml);
        AmlPackageLength.EndBlock(aml, start);
    }
}

public sealed record AmlScope(string Name) : AmlContainer(AmlOpcode.Scope)
{
    protected override void AppendHead(AmlWriter aml) => AmlPath.Append(aml, Name);
}

public sealed record AmlDevice(string Name) : AmlContainer(AmlOpcode.Device)
{
    protected override void AppendHead(AmlWriter aml) => AmlPath.Append(aml, Name);
}

/// <summary>Method(NAME, args, Serialized|NotSerialized) { terms }.</summary>
public sealed record AmlMethod(string Name, int ArgumentCount, bool Serialized) : AmlContainer(AmlOpcode.Method)
{
    protected override void AppendHead(AmlWriter aml)
    {
        if (ArgumentCount is < 0 or > 7)
            throw new ArgumentOutOfRangeException(nameof(ArgumentCount));
        AmlPath.Append(aml, Name);
        aml.Add(Flags(ArgumentCount, Serialized));
    }

    public static byte Flags(int argumentCount, bool serialized) => (byte)(argumentCount | (serialized ? 1 << 3 : 0));
}

public sealed record AmlIf(IAml Predicate) : AmlContainer(AmlOpcode.If)
{
    protected override void AppendHead(AmlWriter aml) => Predicate.AppendTo(aml);
}

/// <summary>Else { terms }: follows the If it belongs to in the enclosing term list.</summary>
public sealed record AmlElse() : AmlContainer(AmlOpcode.Else)
{
    protected override void AppendHead(AmlWriter aml)
    {
    }
}

public sealed record AmlWhile(IAml Predicate) : AmlContainer(AmlOpcode.While)
{
    protected override void AppendHead(AmlWriter aml) => Predicate.AppendTo(aml);
}

/// <summary>ASL's Name(NAME, value): declares a named object holding a value. A reference to it is an <see cref="AmlPath"/>.</summary>
public sealed record AmlNamedValue(string Name, IAml Value) : IAml
{
    public void AppendTo(AmlWriter aml)
    {
        aml.Add(AmlOpcode.Name);
        AmlPath.Append(aml, Name);
        Value.AppendTo(aml);
    }
}

/// <summary>A call of a method by name with its arguments.</summary>
public sealed record AmlMethodCall(string Name, params IAml[] Arguments) : IAml
{
    public void AppendTo(AmlWriter aml)
    {
        AmlPath.Append(aml, Name);
        foreach (var a in Arguments)
            a.AppendTo(aml);
    }
}
