namespace Vnvdimm.Acpi.Aml;

public sealed record AmlIf(IAml Predicate) : AmlContainer, IAml
{
    public AmlIf Add(params IAml[] terms)
    {
        Terms.AddRange(terms);
        return this;
    }

    public void AppendTo(List<byte> aml) =>
        AmlPackageLength.AppendBlock(aml, [0xa0], body =>
        {
            Predicate.AppendTo(body);
            AppendTerms(body);
        });
}

/// <summary>Else { terms }: follows the If it belongs to in the enclosing term list.</summary>
public sealed record AmlElse : AmlContainer, IAml
{
    public AmlElse Add(params IAml[] terms)
    {
        Terms.AddRange(terms);
        return this;
    }

    public void AppendTo(List<byte> aml) => AmlPackageLength.AppendBlock(aml, [0xa1], AppendTerms);
}

public sealed record AmlWhile(IAml Predicate) : AmlContainer, IAml
{
    public AmlWhile Add(params IAml[] terms)
    {
        Terms.AddRange(terms);
        return this;
    }

    public void AppendTo(List<byte> aml) =>
        AmlPackageLength.AppendBlock(aml, [0xa2], body =>
        {
            Predicate.AppendTo(body);
            AppendTerms(body);
        });
}

public sealed record AmlReturn(IAml Value) : IAml
{
    public void AppendTo(List<byte> aml)
    {
        aml.Add(0xa4);
        Value.AppendTo(aml);
    }
}
