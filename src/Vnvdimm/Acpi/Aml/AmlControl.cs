using System.Collections.Immutable;

namespace Vnvdimm.Acpi.Aml;

public sealed class AmlIf(IAml predicate, params ImmutableArray<IAml> terms)
    : AmlContainer(AmlOpcode.If, predicate.EncodedLength, terms)
{
    public IAml Predicate { get; } = predicate;

    private protected override void WriteHead(IAmlSink sink) => Predicate.WriteTo(sink);
}

/// <summary>Else { terms }: follows the If it belongs to in the enclosing term list.</summary>
public sealed class AmlElse(params ImmutableArray<IAml> terms) : AmlContainer(AmlOpcode.Else, 0, terms)
{
    private protected override void WriteHead(IAmlSink sink)
    {
    }
}

public sealed class AmlWhile(IAml predicate, params ImmutableArray<IAml> terms)
    : AmlContainer(AmlOpcode.While, predicate.EncodedLength, terms)
{
    public IAml Predicate { get; } = predicate;

    private protected override void WriteHead(IAmlSink sink) => Predicate.WriteTo(sink);
}

public sealed class AmlReturn(IAml value) : IAml
{
    public IAml Value { get; } = value;

    public int EncodedLength { get; } = 1 + value.EncodedLength;

    public void WriteTo(IAmlSink sink)
    {
        sink.Byte(AmlOpcode.Return);
        Value.WriteTo(sink);
    }
}
