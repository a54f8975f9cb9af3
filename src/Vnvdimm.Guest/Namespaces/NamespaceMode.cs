namespace Vnvdimm.Guest.Namespaces;

/// <summary>What a pmem namespace is used as, by ndctl's names: its bytes as they are, or behind an info block.</summary>
public enum NamespaceMode
{
    /// <summary>The namespace's bytes as a block device, no info block.</summary>
    Raw,

    /// <summary>A PFN info block: a block device whose pages a DAX filesystem maps directly.</summary>
    Fsdax,

    /// <summary>A DAX info block: a character device (/dev/daxR.N) mapped whole by applications.</summary>
    Devdax,

    /// <summary>A BTT: a block device with atomic sector updates.</summary>
    Sector,
}

/// <summary>
/// Where the struct pages of an fsdax/devdax namespace live (the PFN info block's mode field): in system RAM, or
/// reserved at the start of the namespace itself.
/// </summary>
public enum PfnMap : uint
{
    Mem = 1,
    Dev = 2,
}

/// <summary>ndctl's words for modes and maps, read and written in one place.</summary>
public static class NamespaceModes
{
    public static string Name(NamespaceMode mode) => mode switch
    {
        NamespaceMode.Fsdax => "fsdax",
        NamespaceMode.Devdax => "devdax",
        NamespaceMode.Sector => "sector",
        _ => "raw",
    };

    public static string Name(PfnMap map) => map == PfnMap.Mem ? "mem" : "dev";

    /// <summary>ndctl's names, and the older ones it still takes (memory, dax, safe).</summary>
    public static NamespaceMode? Parse(string text) => text switch
    {
        "raw" => NamespaceMode.Raw,
        "fsdax" or "memory" => NamespaceMode.Fsdax,
        "devdax" or "dax" => NamespaceMode.Devdax,
        "sector" or "safe" => NamespaceMode.Sector,
        _ => null,
    };

    public static PfnMap? ParseMap(string text) => text switch
    {
        "mem" or "ram" => PfnMap.Mem,
        "dev" or "pmem" => PfnMap.Dev,
        _ => null,
    };
}
