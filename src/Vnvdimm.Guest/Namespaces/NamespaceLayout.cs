using Vnvdimm.Guest.Namespaces.Pfn;

namespace Vnvdimm.Guest.Namespaces;

/// <summary>
/// How a namespace is laid out for its mode, as ndctl create-namespace takes it: --map and --align for fsdax and devdax,
/// --sector-size for sector. Defaults are ndctl's: map dev, align 2M, 4096-byte sectors.
/// </summary>
public sealed record NamespaceLayout(NamespaceMode Mode, PfnMap Map = PfnMap.Dev, ulong Align = PfnLayout.DefaultAlign,
    uint SectorSize = NamespaceLayout.DefaultSectorSize)
{
    public const uint DefaultSectorSize = 4096;

    public static readonly NamespaceLayout Raw = new(NamespaceMode.Raw);

    /// <summary>The lbasize a label of this namespace carries, as Linux writes it: the BTT's sector size, else 512.</summary>
    public ulong LabelLbaSize => Mode == NamespaceMode.Sector ? SectorSize : 512;
}
