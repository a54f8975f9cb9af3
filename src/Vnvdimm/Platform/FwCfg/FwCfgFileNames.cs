namespace Vnvdimm.Platform.FwCfg;

/// <summary>The fw_cfg files the firmware and the guest toolkit look for.</summary>
public static class FwCfgFileNames
{
    public const string Rsdp = "etc/acpi/rsdp";
    public const string AcpiTables = "etc/acpi/tables";
    public const string TableLoader = "etc/table-loader";
    public const string NvdimmDsmPage = "etc/acpi/nvdimm-mem";
}
