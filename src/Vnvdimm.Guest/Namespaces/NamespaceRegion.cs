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
/// <param name="readOnlyCause">Why the region is read-only, in the user's words: said when it is.</param>
public sealed class NamespaceRegion(string name, GuestRegion region, LabelStore? labels, string readOnlyCause)
{
    public string Name => name;

    /// <summary>Adds a pmem namespace label to the region's DIMM, carrying the cookie the guest checks for the set's version.</summary>
    public NamespaceLabel Create(NamespaceRequest request)
    {
        // As ndctl: a read-only region takes no namespace; refused before the label area is read or written.
        if (region.ReadOnly)
            throw new InvalidOperationException($"{name}: read-only ({readOnlyCause}), ineligible for namespace creation");
        if (labels is null)
            throw new InvalidOperationException($"{name}: its DIMM has no label area (label-size=0)");
        ulong cookie = labels.Load().Version == LabelVersion.V1_1 ? region.Cookie1 : region.Cookie2;
        return labels.Create(request, region.Mappings[0].Size, region.Alignment, cookie, region.Spa.RangeType);
    }
}
