namespace Vnvdimm.Acpi.Aml;

public sealed record AmlIf(IAml Predicate) : AmlContainer, IAml
{
    public AmlIf Add(params IAml[] terms)
    {
        Terms.AddRange(terms);
        return this;
    }

    public void AppendTo(AmlWriter aml)
    {
        int start = AmlPackageLength.BeginBlock(aml, [0xa0]);
        Predicate.AppendTo(aml);
        AppendTerms(aml);
        AmlPackageLength.EndBlock(aml, start);
    }
}

/// <summary>Else { terms }: follows the If it belongs to in the enclosing term list.</summary>
public sealed record AmlElse : AmlContainer, IAml
{
    public AmlElse Add(params IAml[] terms)
    {
        Terms.AddRange(terms);
        return this;
    }

    public void AppendTo(AmlWriter aml)
    {
        int start = AmlPackageLength.BeginBlock(aml, [0xa1]);
        AppendTerms(aml);
        AmlPackageLength.EndBlock(aml, start);
    }
}

public sealed record AmlWhile(IAml Predicate) : AmlContainer, IAml
{
    public AmlWhile Add(params IAml[] terms)
    {
        Terms.AddRange(terms);
        return this;
    }

    public void AppendTo(AmlWriter aml)
    {
        int start = AmlPackageLength.BeginBlock(aml, [0xa2]);
        Predicate.AppendTo(aml);
        AppendTerms(aml);
        AmlPackageLength.EndBlock(aml, start);
    }
}

public sealed record AmlReturn(IAml Value) : IAml
{
    public void AppendTo(AmlWriter aml)
    {
        aml.Add(0xa4);
        Value.AppendTo(aml);
    }
}
