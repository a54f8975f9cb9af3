namespace Vnvdimm.Acpi.Aml;

public sealed record AmlReturn(IAml Value) : IAml
{
    public void AppendTo(AmlWriter aml)
    {
        aml.Add(AmlOpcode.Return);
        Value.AppendTo(aml);
    }
}
