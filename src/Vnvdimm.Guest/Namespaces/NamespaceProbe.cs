using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Namespaces.Btt;
using Vnvdimm.Guest.Namespaces.Pfn;

namespace Vnvdimm.Guest.Namespaces;

/// <summary>
/// Decides what a namespace is by its info blocks, in Linux's order (nd_pmem_probe): a BTT, then a PFN, then a DAX
/// info block, each looked for only when the label's claim class allows it; none valid leaves the raw namespace.
/// </summary>
public static class NamespaceProbe
{
    /// <param name="rawSectorSize">The sector size a raw (or fsdax) namespace's block device reports: the label's lbasize.</param>
    public static NamespaceContent Read(IRegionMedia media, NamespaceExtent ns, uint rawSectorSize = 512)
    {
        var problems = new List<string>();
        if (ns.Claim is ClaimClass.None or ClaimClass.Btt or ClaimClass.Btt2)
        {
            var version = ns.Claim == ClaimClass.Btt2 ? BttVersion.V2_0 : BttVersion.V1_1;
            var (btt, problem) = BttFormat.Probe(media, ns.Offset, ns.Size, version, ns.Uuid);
            if (btt is not null)
                return new NamespaceContent(NamespaceMode.Sector, btt.Size, btt.Uuid, btt.SectorSize);
            if (problem is not null && BttClaims(media, ns, version))
                return Refused(ns, $"BTT: {problem}");
            if (problem is not null)
                problems.Add($"BTT: {problem}");
        }
        if (ns.Claim is ClaimClass.None or ClaimClass.Pfn or ClaimClass.Dax && ns.Size >= PfnLayout.InfoReserve)
        {
            var bytes = media.Read(ns.Offset + PfnInfoBlock.Offset, PfnInfoBlock.Size);
            var kind = PfnInfoBlock.SignatureOf(bytes);
            bool wanted = kind is not null && (ns.Claim == ClaimClass.None || (ns.Claim == ClaimClass.Pfn) == (kind == PfnKind.Pfn));
            if (wanted)
            {
                var (block, problem) = PfnInfoBlock.Parse(bytes);
                problem ??= PfnLayout.Problem(block!, ns.Uuid, ns.Start, ns.Size);
                if (problem is not null && block is not null && !PfnLayout.PassesOn(block, ns.Uuid))
                    return Refused(ns, $"{(kind == PfnKind.Pfn ? "PFN" : "DAX")} info block: {problem}");
                if (problem is null)
                    return block!.Kind == PfnKind.Pfn
                        ? new NamespaceContent(NamespaceMode.Fsdax, PfnLayout.DataSize(block, ns.Size), block.Uuid, rawSectorSize, block.Map,
                            EffectiveAlign(block))
                        : new NamespaceContent(NamespaceMode.Devdax, PfnLayout.DataSize(block, ns.Size), block.Uuid, null, block.Map,
                            EffectiveAlign(block));
                problems.Add($"{(kind == PfnKind.Pfn ? "PFN" : "DAX")} info block: {problem}");
            }
        }
        if (problems.Count == 0 && ns.Claim is not ClaimClass.None)
            problems.Add(ns.Claim == ClaimClass.Unknown
                ? "its label's abstraction GUID is none Linux knows"
                : $"its label claims it for {ClaimName(ns.Claim)} but no {ClaimName(ns.Claim)} info block is there");
        return new NamespaceContent(NamespaceMode.Raw, ns.Size, ns.Uuid == Guid.Empty ? null : ns.Uuid, rawSectorSize,
            Problem: problems.Count > 0 ? $"{string.Join("; ", problems)}: Linux uses it as raw" : null);
    }

    /// <summary>
    /// The info block a namespace at <paramref name="offset"/> starts with, whoever it belongs to and whether or not Linux
    /// would take it ("a PFN info block", "a BTT"), or null: what a new layout there would overwrite.
    /// </summary>
    public static string? InfoBlockAt(IRegionMedia media, ulong offset, ulong size)
    {
        foreach (var version in new[] { BttVersion.V2_0, BttVersion.V1_1 })
            if (size >= version.InitialOffset + BttInfoBlock.Size
                && BttInfoBlock.Parse(media.Read(offset + version.InitialOffset, BttInfoBlock.Size)).Status != BttInfoStatus.NoSignature)
                return $"a BTT ({version})";
        if (size >= PfnLayout.InfoReserve && PfnInfoBlock.SignatureOf(media.Read(offset + PfnInfoBlock.Offset, PfnInfoBlock.Size)) is PfnKind kind)
            return kind == PfnKind.Pfn ? "a PFN (fsdax) info block" : "a DAX (devdax) info block";
        return null;
    }

    /// <summary>
    /// Whether Linux's BTT driver takes the namespace (its first info block is sound, its own and of the version the labels
    /// call for): it then owns it, and a layout it cannot use leaves the namespace without a device, not raw.
    /// </summary>
    private static bool BttClaims(IRegionMedia media, NamespaceExtent ns, BttVersion version)
    {
        if (ns.Size < version.InitialOffset + BttInfoBlock.Size)
            return false;
        var (info, status) = BttInfoBlock.Parse(media.Read(ns.Offset + version.InitialOffset, BttInfoBlock.Size));
        return status == BttInfoStatus.Valid && info!.BelongsTo(ns.Uuid)
            && info.VersionMajor == version.Major && info.VersionMinor == version.Minor;
    }

    /// <summary>A namespace Linux leaves without a device: ndctl list does not show it.</summary>
    private static NamespaceContent Refused(NamespaceExtent ns, string problem) =>
        new(NamespaceMode.Raw, ns.Size, ns.Uuid == Guid.Empty ? null : ns.Uuid, null,
            Problem: $"{problem}: Linux refuses to enable it (no device, left out of ndctl list)", Enabled: false);

    /// <summary>The align ndctl reports: the block's, or for a block from before align was recorded, what Linux derives.</summary>
    private static ulong EffectiveAlign(PfnInfoBlock block) =>
        block.Align != 0 ? block.Align : 1UL << (63 - (int)ulong.LeadingZeroCount(block.DataOffset));

    private static string ClaimName(ClaimClass claim) => claim switch
    {
        ClaimClass.Pfn => "fsdax",
        ClaimClass.Dax => "devdax",
        _ => "sector",
    };
}
