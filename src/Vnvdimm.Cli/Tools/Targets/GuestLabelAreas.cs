using Vnvdimm.Guest;
using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Namespaces;
using Vnvdimm.Guest.Nfit;

namespace Vnvdimm.Cli.Tools.Targets;

/// <summary>How a guest command finds the label areas and regions it works on: DIMMs and regions in the NFIT, labels through the DSM.</summary>
public static class GuestLabelAreas
{
    /// <summary>The label areas of <paramref name="device"/> (nmemN), or of every DIMM that has one when it is null.</summary>
    public static IEnumerable<(GuestDimm Dimm, LabelStore Store)> Select(NvdimmGuest guest, string? device)
    {
        var dimms = guest.Topology?.Dimms ?? [];
        if (device is not null && !dimms.Any(d => d.Device == device))
        {
            string seen = dimms.Count == 0 ? "none" : string.Join(", ", dimms.Select(d => d.Device));
            throw new ToolException($"no DIMM {device} (the guest sees {seen})");
        }
        foreach (var dimm in dimms.Where(d => device is null || d.Device == device))
        {
            if (guest.Labels(dimm) is LabelStore store)
                yield return (dimm, store);
            else if (device is not null)
                throw new ToolException($"{device} has no label area (label-size=0, or no DSM)");
        }
    }

    /// <summary>The one label area meant: <paramref name="device"/>'s, or the only DIMM's that has one when it is null.</summary>
    public static (GuestDimm Dimm, LabelStore Store) One(NvdimmGuest guest, string? device)
    {
        var candidates = Select(guest, device).ToList();
        return candidates.Count switch
        {
            1 => candidates[0],
            0 => throw new ToolException("no DIMM has a label area (label-size=0, or no DSM)"),
            _ => throw new ToolException($"{candidates.Count} DIMMs have a label area " +
                $"({string.Join(", ", candidates.Select(c => c.Dimm.Device))}): say which with --dimm"),
        };
    }

    /// <summary>The regions whose DIMM's label area holds labels of the namespace.</summary>
    public static IReadOnlyList<NamespaceRegion> RegionsHolding(NvdimmGuest guest, Guid uuid) =>
        [.. (guest.Topology?.Regions ?? []).Where(r => guest.Labels(r.Mappings[0].Dimm)?.Load().Labels.Any(l => l.Uuid == uuid) == true)
            .Select(r => Region(guest, r.Device))];

    /// <summary>The region <paramref name="device"/> (regionN) and its first DIMM's label area (null when it has none).</summary>
    public static NamespaceRegion Region(NvdimmGuest guest, string device)
    {
        var region = guest.Topology?.Regions.FirstOrDefault(r => r.Device == device) ?? throw new ToolException($"no region {device}");
        return new NamespaceRegion(region.Device, region, guest.Labels(region.Mappings[0].Dimm), new GuestRegionMedia(guest.Connection, region),
            "an unarmed DIMM");
    }
}
