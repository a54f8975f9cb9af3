namespace Vnvdimm.Acpi.Aml;

public sealed record AmlReturn(IAml Value) : IAml
{
    public void AppendTo(AmlWriter aml)
    {
        aml.Add(0xa4);
        Value.AppendTo(aml);
    }
}
