using System.Collections.Immutable;

namespace Vnvdimm.Acpi.Aml;

/// <summary>
/// A block with a term list: opcode, PkgLength, a head (name, predicate, flags), then the terms.
/// Scope, Device, Method, If, Else and While differ only in opcode and head. The terms are given at
/// construction and never change, so a container can be shared and reused; it compares by reference.
/// </summary>
public abstract class AmlContainer : IAml
{
    private readonly ushort _opcode;

    private protected AmlContainer(ushort opcode, ImmutableArray<IAml> terms)
    {
        if (terms.IsDefault)
            throw new ArgumentNullException(nameof(terms));
        _opcode = opcode;
        Terms = terms;
    }

    public ImmutableArray<IAml> Terms { get; }

    private protected abstract void AppendHead(AmlWriter aml);

    public void AppendTo(AmlWriter aml)
    {
        int start = AmlPackageLength.BeginBlock(aml, _opcode);
        AppendHead(aml);
        foreach (var t in Terms)
            t.AppendTo(aml);
        AmlPackageLength.EndBlock(aml, start);
    }
}

public sealed class AmlScope(string name, params ImmutableArray<IAml> terms) : AmlContainer(AmlOpcode.Scope, terms)
{
    public string Name { get; } = name;

    private protected override void AppendHead(AmlWriter aml) => AmlPath.Append(aml, Name);
}

public sealed class AmlDevice(string name, params ImmutableArray<IAml> terms) : AmlContainer(AmlOpcode.Device, terms)
{
    public string Name { get; } = name;

    private protected override void AppendHead(AmlWriter aml) => AmlPath.Append(aml, Name);
}

/// <summary>Method(NAME, args, Serialized|NotSerialized) { terms }.</summary>
public sealed class AmlMethod(string name, int argumentCount, bool serialized, params ImmutableArray<IAml> terms)
    : AmlContainer(AmlOpcode.Method, terms)
{
    public string Name { get; } = name;
    public int ArgumentCount { get; } = argumentCount;
    public bool Serialized { get; } = serialized;

    private protected override void AppendHead(AmlWriter aml)
    {
        if (ArgumentCount is < 0 or > 7)
            throw new ArgumentOutOfRangeException(nameof(ArgumentCount));
        AmlPath.Append(aml, Name);
        aml.Add(Flags(ArgumentCount, Serialized));
    }

    public static byte Flags(int argumentCount, bool serialized) => (byte)(argumentCount | (serialized ? 1 << 3 : 0));
}

public sealed class AmlIf(IAml predicate, params ImmutableArray<IAml> terms) : AmlContainer(AmlOpcode.If, terms)
{
    public IAml Predicate { get; } = predicate;

    private protected override void AppendHead(AmlWriter aml) => Predicate.AppendTo(aml);
}

/// <summary>Else { terms }: follows the If it belongs to in the enclosing term list.</summary>
public sealed class AmlElse(params ImmutableArray<IAml> terms) : AmlContainer(AmlOpcode.Else, terms)
{
    private protected override void AppendHead(AmlWriter aml)
    {
    }
}

public sealed class AmlWhile(IAml predicate, params ImmutableArray<IAml> terms) : AmlContainer(AmlOpcode.While, terms)
{
    public IAml Predicate { get; } = predicate;

    private protected override void AppendHead(AmlWriter aml) => Predicate.AppendTo(aml);
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
