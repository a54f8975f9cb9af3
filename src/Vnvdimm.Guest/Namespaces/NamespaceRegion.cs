using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Nfit;

namespace Vnvdimm.Guest.Namespaces;

/// <summary>
/// A pmem region and the label area its namespaces are written in, however they were reached: in a guest, the NFIT's
/// region and its DIMM's label area through the DSM; offline, the region a machine would make of a backing file and the
/// file's tail. Both make namespaces here, so they refuse and write alike.
/// </summary>
/// <param name="name">How messages name the region: regionN in a guest, the backing file offline.</param>
/// <param name="labels">The label area of the region's DIMM; null when it has none.</param>
/// <param name="media">The region's bytes, where a namespace's info block goes.</param>
/// <param name="readOnlyCause">Why the region is read-only, in the user's words: said when it is.</param>
public sealed class NamespaceRegion(string name, GuestRegion region, LabelStore? labels, IRegionMedia media, string readOnlyCause)
{
    public string Name => name;

    /// <summary>
    /// Adds a pmem namespace label to the region's DIMM, carrying the cookie the guest checks for the set's version and,
    /// for v1.2 labels, the abstraction GUID of its mode; the info block of the mode is written first, so a namespace
    /// exists only once complete. Every refusal comes before the first write.
    /// </summary>
    public (NamespaceLabel Label, NamespaceContent Content) Create(NamespaceRequest request, NamespaceLayout? layout = null)
    {
        layout ??= NamespaceLayout.Raw;
        // As ndctl: a read-only region takes no namespace; refused before the label area is read or written.
        if (region.ReadOnly)
            throw new InvalidOperationException($"{name}: read-only ({readOnlyCause}), ineligible for namespace creation");
        if (labels is null)
            throw new InvalidOperationException($"{name}: its DIMM has no label area (label-size=0)");
        var version = labels.Load().Version ?? LabelVersion.V1_2;
        if (request.Size == 0)
        {
            // ndctl's default: the largest free extent, cut to what the mode's align can map.
            ulong grain = layout.Mode is NamespaceMode.Fsdax or NamespaceMode.Devdax ? Math.Max(layout.Align, region.Alignment) : region.Alignment;
            ulong size = labels.LargestFree(region.Mappings[0].Size, region.Alignment) / grain * grain;
            if (size == 0)
                throw new InvalidOperationException($"{name}: no free extent left for a namespace");
            request = request with { Size = size };
        }
        ulong cookie = version == LabelVersion.V1_1 ? region.Cookie1 : region.Cookie2;
        NamespaceContent? content = null;
        var label = labels.Create(request, region.Mappings[0].Size, region.Alignment, cookie, region.Spa.RangeType,
            AbstractionGuids.For(layout.Mode), layout.Mode == NamespaceMode.Raw ? 0 : layout.LabelLbaSize, dpa =>
            {
                var extent = new NamespaceExtent(dpa, request.Size, region.Spa.Base + dpa, request.Uuid,
                    ClaimClass.None, version);
                var format = NamespaceFormatter.Prepare(extent, layout, Guid.NewGuid());
                content = format.WriteTo(media);
            });
        return (label, content!);
    }

    /// <summary>
    /// Removes the namespace's labels from the region's DIMM; as ndctl, its first 8 KiB are cleared first, so no info block
    /// outlives it to claim a namespace made there later. Returns how many labels there were.
    /// </summary>
    public int Destroy(Guid uuid)
    {
        if (labels is null)
            throw new InvalidOperationException($"{name}: its DIMM has no label area (label-size=0)");
        var state = labels.Load();
        // Only when the labels will go too: a refusal below (no such namespace, a damaged area) must find the data as it was.
        if (state.Initialized && state.Problems.Count == 0 && !region.ReadOnly)
        {
            foreach (var label in state.Labels.Where(l => l.Uuid == uuid && l.End <= media.Size))
                NamespaceFormatter.ClearInfoBlocks(media, label.Dpa, label.RawSize);
            media.Flush();
        }
        return labels.Destroy(uuid);
    }
}
