using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Namespaces.Btt;
using Vnvdimm.Guest.Namespaces.Pfn;

namespace Vnvdimm.Guest.Namespaces;

/// <summary>
/// Writes what a namespace's mode needs into its first bytes, as ndctl and Linux leave it: the first 8 KiB cleared (no
/// stale info block may outvote the new one, a raw namespace's included), then the PFN/DAX info block or the BTT. Every check runs in
/// <see cref="Prepare"/>, before a byte is written.
/// </summary>
public static class NamespaceFormatter
{
    /// <summary>What ndctl clears of a namespace it sets up or destroys: where any info block would be.</summary>
    private const int ClearedPrefix = 8192;

    /// <summary>Clears the first 8 KiB of the namespace at <paramref name="offset"/> (all of it when smaller).</summary>
    public static void ClearInfoBlocks(IRegionMedia media, ulong offset, ulong size) =>
        media.Write(offset, new byte[(int)Math.Min((ulong)ClearedPrefix, size)]);

    /// <summary>Checks that <paramref name="layout"/> fits the namespace; returns what writes it.</summary>
    /// <param name="infoUuid">The uuid of the info block (ndctl makes a new one; a listing shows it as the namespace's).</param>
    /// <param name="wholeRegion">A label-less namespace: its size is the region's, and Linux trims a tail that is not a multiple
    /// of the align (ndctl asks for a multiple only of the sizes it is given).</param>
    public static PreparedFormat Prepare(NamespaceExtent ns, NamespaceLayout layout, Guid infoUuid, bool wholeRegion = false)
    {
        switch (layout.Mode)
        {
            case NamespaceMode.Fsdax or NamespaceMode.Devdax:
                var kind = layout.Mode == NamespaceMode.Fsdax ? PfnKind.Pfn : PfnKind.Dax;
                var block = PfnLayout.Plan(kind, infoUuid, ns.Uuid, ns.Start, ns.Size, layout.Map, layout.Align, trimTail: wholeRegion);
                return new PreparedFormat(ns, layout, media =>
                {
                    media.Write(ns.Offset + PfnInfoBlock.Offset, block.ToBytes());
                    return new NamespaceContent(layout.Mode, PfnLayout.DataSize(block, ns.Size), infoUuid,
                        kind == PfnKind.Pfn ? 512 : null, block.Map, block.Align);
                });
            case NamespaceMode.Sector:
                // The BTT's own refusals, made here too: clearing the first 8 KiB comes before it is written.
                if (!BttLayout.Supports(layout.SectorSize))
                    throw new InvalidOperationException(
                        $"sector size {layout.SectorSize} is not supported (Linux's BTT takes {BttLayout.SupportedSizesText})");
                var version = BttVersion.ForLabels(ns.Labels);
                if (ns.Size < version.InitialOffset + BttLayout.ArenaMinSize)
                    throw new InvalidOperationException(
                        $"{ns.Size} bytes cannot hold a BTT (at least {version.InitialOffset + BttLayout.ArenaMinSize} bytes)");
                return new PreparedFormat(ns, layout, media =>
                {
                    var btt = BttFormat.Format(media, ns.Offset, ns.Size, version, layout.SectorSize, infoUuid, ns.Uuid);
                    return new NamespaceContent(NamespaceMode.Sector, btt.Size, btt.Uuid, btt.SectorSize);
                });
            default:
                // A raw namespace has no info block; its first 8 KiB are cleared all the same, as ndctl clears them.
                return new PreparedFormat(ns, layout, _ => new NamespaceContent(NamespaceMode.Raw, ns.Size,
                    ns.Uuid == Guid.Empty ? null : ns.Uuid, 512));
        }
    }
}

/// <summary>A format that passed its checks: <see cref="WriteTo"/> clears the namespace's first 8 KiB and writes the layout.</summary>
public sealed class PreparedFormat(NamespaceExtent ns, NamespaceLayout layout, Func<IRegionMedia, NamespaceContent> write)
{
    public NamespaceLayout Layout => layout;

    public NamespaceContent WriteTo(IRegionMedia media)
    {
        NamespaceFormatter.ClearInfoBlocks(media, ns.Offset, ns.Size);
        var content = write(media);
        media.Flush();
        return content;
    }
}
