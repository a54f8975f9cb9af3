namespace Vnvdimm.Acpi.Aml;

/// <summary>A list of terms, appended in order; what Scope, Device, Method and If bodies hold.</summary>
public abstract record AmlContainer
{
    public List<IAml> Terms { get; } = new(8);

    protected void AppendTerms(AmlWriter aml)
    {
        foreach (var t in Terms)
            t.AppendTo(aml);
    }
}

public sealed record AmlScope(string Name) : AmlContainer, IAml
{
    public AmlScope Add(params IAml[] terms)
    {
        Terms.AddRange(terms);
        return this;
    }

    public void AppendTo(AmlWriter aml)
    {
        int start = AmlPackageLength.BeginBlock(aml, [0x10]);
        AmlName.Append(aml, Name);
        AppendTerms(aml);
        AmlPackageLength.EndBlock(aml, start);
    }
}

public sealed record AmlDevice(string Name) : AmlContainer, IAml
{
    public AmlDevice Add(params IAml[] terms)
    {
        Terms.AddRange(terms);
        return this;
    }

    public void AppendTo(AmlWriter aml)
    {
        int start = AmlPackageLength.BeginBlock(aml, [0x5b, 0x82]);
        AmlName.Append(aml, Name);
        AppendTerms(aml);
        AmlPackageLength.EndBlock(aml, start);
    }
}

/// <summary>Name(NAME, value).</summary>
public sealed record AmlNameDecl(string Name, IAml Value) : IAml
{
    public void AppendTo(AmlWriter aml)
    {
        aml.Add(0x08);
        AmlName.Append(aml, Name);
        Value.AppendTo(aml);
    }
}

/// <summary>Method(NAME, args, Serialized|NotSerialized) { terms }.</summary>
public sealed record AmlMethod(string Name, int ArgumentCount, bool Serialized) : AmlContainer, IAml
{
    public AmlMethod Add(params IAml[] terms)
    {
        Terms.AddRange(terms);
        return this;
    }

    public void AppendTo(AmlWriter aml)
    {
        if (ArgumentCount is < 0 or > 7)
            throw new ArgumentOutOfRangeException(nameof(ArgumentCount));
        int start = AmlPackageLength.BeginBlock(aml, [0x14]);
        AmlName.Append(aml, Name);
        aml.Add((byte)(ArgumentCount | (Serialized ? 1 << 3 : 0)));
        AppendTerms(aml);
        AmlPackageLength.EndBlock(aml, start);
    }
}

/// <summary>A call of a method by name with its arguments.</summary>
public sealed record AmlMethodCall(string Name, params IAml[] Arguments) : IAml
{
    public void AppendTo(AmlWriter aml)
    {
        AmlName.Append(aml, Name);
        foreach (var a in Arguments)
            a.AppendTo(aml);
    }
}
