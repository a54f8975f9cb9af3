using Vnvdimm.Guest.Labels;

namespace Vnvdimm.Guest.Namespaces;

/// <summary>
/// Where a namespace lies and what its label says of it: <see cref="Offset"/> into its region, at guest-physical
/// <see cref="Start"/>; <see cref="Uuid"/> is what its info block names as parent (empty without a label), and the claim
/// class and label version decide which info blocks Linux looks for and where.
/// </summary>
public sealed record NamespaceExtent(ulong Offset, ulong Size, ulong Start, Guid Uuid, ClaimClass Claim, LabelVersion? Labels)
{
    /// <summary>The namespace of a label in a region at guest-physical <paramref name="regionBase"/>.</summary>
    public static NamespaceExtent Of(NamespaceLabel label, LabelVersion version, ulong regionBase) =>
        new(label.Dpa, label.RawSize, regionBase + label.Dpa, label.Uuid,
            version == LabelVersion.V1_2 ? AbstractionGuids.ClassOf(label.AbstractionGuid) : ClaimClass.None, version);

    /// <summary>The one namespace Linux makes of a region whose DIMM has no label area: all of it, no uuid.</summary>
    public static NamespaceExtent LabelLess(ulong regionSize, ulong regionBase) =>
        new(0, regionSize, regionBase, Guid.Empty, ClaimClass.None, null);
}
