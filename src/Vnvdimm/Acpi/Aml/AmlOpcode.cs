namespace Vnvdimm.Acpi.Aml;

/// <summary>The AML opcodes (ACPI 6.2A 20.3) used by more than one writer.</summary>
public static class AmlOpcode
{
    public const byte Name = 0x08, Scope = 0x10, Method = 0x14, Store = 0x70, Return = 0xa4;
    public const byte ExtPrefix = 0x5b, Device = 0x82;
    public const byte Arg0 = 0x68, Local0 = 0x60;
}
