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
