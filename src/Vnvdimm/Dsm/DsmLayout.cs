namespace Vnvdimm.Dsm;

/// <summary>
/// The DSM mailbox page shared by guest AML and the device (QEMU's docs/specs/acpi_nvdimm.rst):
/// in: handle, revision, function, then arg3; out: len (bytes filled, len included), then data.
/// </summary>
public static class DsmLayout
{
    public const int PageSize = 4096;
    public const int HandleOffset = 0, RevisionOffset = 4, FunctionOffset = 8, Arg3Offset = 12;
    public const int OutLengthSize = 4;
    public const int StatusSize = 4;

    /// <summary>The only DSM interface revision (Intel DSM spec, revision 1).</summary>
    public const uint Revision = 1;

    /// <summary>The I/O port the guest writes the page's address to (QEMU's NVDIMM_ACPI_IO_BASE), 4 bytes wide.</summary>
    public const ushort IoPort = 0x0a18;
    public const ushort IoPortLength = 4;

    /// <summary>Handle 0: the NVDIMM root device. 0x10000: QEMU's reserved root handle for Read FIT.</summary>
    public const uint RootHandle = 0, ReservedRootHandle = 0x10000;

    /// <summary>
    /// The largest label transfer: what fits both a Get answer (page less len and status) and a Set
    /// request (page less handle, revision, function, offset and length): 4076 bytes.
    /// </summary>
    public const uint MaxLabelTransfer = PageSize - Arg3Offset - 8;

    /// <summary>The largest piece of FIT in one Read FIT answer: 4088 bytes.</summary>
    public const int MaxFitTransfer = PageSize - OutLengthSize - StatusSize;
}

/// <summary>Status codes of the NVDIMM DSM interface.</summary>
public static class DsmStatus
{
    public const uint Success = 0, NotSupported = 1, NoSuchDevice = 2, InvalidInput = 3;

    /// <summary>The DSM specification's "HW error": here, label storage that failed (a full disk, a truncated file).</summary>
    public const uint HardwareError = 4;

    /// <summary>Read FIT: the FIT changed since the read sequence started (offset 0); start again.</summary>
    public const uint FitChanged = 0x100;
}

/// <summary>DSM function numbers used here.</summary>
public static class DsmFunction
{
    public const uint Query = 0;
    public const uint ReadFit = 1;
    public const uint GetLabelSize = 4, GetLabelData = 5, SetLabelData = 6;
}

/// <summary>The UUIDs a _DSM call names; the AML sends only these to the device (others get "not supported").</summary>
public static class DsmUuid
{
    /// <summary>The NVDIMM root device's, defined by ACPI.</summary>
    public static readonly Guid Root = new("2F10E7A4-9E91-11E4-89D3-123B93F75CBA");

    /// <summary>QEMU's reserved root: Read FIT, with <see cref="DsmLayout.ReservedRootHandle"/>.</summary>
    public static readonly Guid ReservedRoot = new("648B9CF2-CDA1-4312-8AD9-49C4AF32BD62");

    /// <summary>An NVDIMM device's: Intel's DSM interface, with the label functions.</summary>
    public static readonly Guid Device = new("4309AC30-0D11-11E4-9191-0800200C9A66");
}
