using System.Text.Json.Serialization;
using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Nfit;

namespace Vnvdimm.Guest.Ndctl;

/// <summary>An <c>ndctl list -D</c> DIMM entry (same field names as ndctl).</summary>
public sealed record NdctlDimm(
    [property: JsonPropertyName("dev")] string Dev,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("handle")] uint Handle,
    [property: JsonPropertyName("phys_id")] ushort PhysId);

/// <summary>An <c>ndctl list -N</c> namespace entry, fields in ndctl's order.</summary>
public sealed record NdctlNamespace(
    [property: JsonPropertyName("dev")] string Dev,
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("size")] ulong Size,
    [property: JsonPropertyName("uuid")] string? Uuid,
    [property: JsonPropertyName("sector_size")] uint SectorSize,
    [property: JsonPropertyName("blockdev")] string Blockdev,
    [property: JsonPropertyName("name")] string? Name);

/// <summary>A region's DIMM mapping, as <c>ndctl list -DR</c> prints it.</summary>
public sealed record NdctlMapping(
    [property: JsonPropertyName("dimm")] string Dimm,
    [property: JsonPropertyName("offset")] ulong Offset,
    [property: JsonPropertyName("length")] ulong Length,
    [property: JsonPropertyName("position")] int Position);

/// <summary>An <c>ndctl list -R</c> region entry with its namespaces (-N).</summary>
public sealed record NdctlRegion(
    [property: JsonPropertyName("dev")] string Dev,
    [property: JsonPropertyName("size")] ulong Size,
    [property: JsonPropertyName("align")] ulong Align,
    [property: JsonPropertyName("available_size")] ulong AvailableSize,
    [property: JsonPropertyName("max_available_extent")] ulong MaxAvailableExtent,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("iset_id")] long IsetId,
    [property: JsonPropertyName("mappings")] IReadOnlyList<NdctlMapping> Mappings,
    [property: JsonPropertyName("persistence_domain")] string PersistenceDomain,
    [property: JsonIgnore] bool? ReadOnly,
    [property: JsonPropertyName("namespaces")] IReadOnlyList<NdctlNamespace>? Namespaces);

/// <summary>What <c>ndctl list -DRN</c> prints, plus the label problems found on the way (not an ndctl field).</summary>
public sealed record NdctlListing(
    [property: JsonPropertyName("dimms")] IReadOnlyList<NdctlDimm> Dimms,
    [property: JsonPropertyName("regions")] IReadOnlyList<NdctlRegion> Regions,
    [property: JsonPropertyName("label_problems")] IReadOnlyList<string>? LabelProblems)
{
    /// <summary>
    /// Builds the listing as Linux and ndctl would show it: namespaces from the labels whose
    /// interleave-set cookie (v1.1: cookie 1, v1.2: cookie 2) and type match the region, in DPA
    /// order; a DIMM without a label area gives one raw namespace over the whole region.
    /// </summary>
    public static NdctlListing From(NvdimmGuest guest)
    {
        var topology = guest.Topology;
        if (topology is null)
            return new NdctlListing([], [], null);
        var problems = new List<string>();
        var dimms = topology.Dimms.Select(d => new NdctlDimm(d.Device, d.Id, d.Handle, d.PhysicalId)).ToList();
        var regions = new List<NdctlRegion>();
        foreach (var region in topology.Regions)
        {
            var namespaces = new List<NdctlNamespace>();
            var extents = new List<(ulong Dpa, ulong Size)>();
            ulong cookie = region.Cookie1;
            if (region.Mappings.Count == 1 && guest.Labels(region.Mappings[0].Dimm) is LabelStore store)
            {
                var state = store.Load();
                problems.AddRange(state.Problems.Select(p => $"{region.Mappings[0].Dimm.Device}: {p}"));
                if (state.Version == LabelVersion.V1_2)
                    cookie = region.Cookie2;
                foreach (var label in state.Labels.OrderBy(l => l.Dpa))
                {
                    if (Mismatch(label, state.Version!.Value, region) is string why)
                    {
                        problems.Add($"{region.Mappings[0].Dimm.Device}: slot {label.Slot} ({label.Uuid}) ignored: {why}");
                        continue;
                    }
                    int n = namespaces.Count;
                    extents.Add((label.Dpa, label.RawSize));
                    namespaces.Add(new NdctlNamespace($"namespace{region.Number}.{n}", Mode(label), label.RawSize, label.Uuid.ToString("D"),
                        label.LbaSize is 0 ? 512 : (uint)label.LbaSize, n == 0 ? $"pmem{region.Number}" : $"pmem{region.Number}.{n}",
                        label.Name.Length > 0 ? label.Name : null));
                }
            }
            else
            {
                // Label-less: Linux gives the whole region to one raw namespace.
                namespaces.Add(new NdctlNamespace($"namespace{region.Number}.0", "raw", region.Spa.Length, null, 512, $"pmem{region.Number}", null));
                extents.Add((0, region.Spa.Length));
            }
            var gaps = FreeExtents(extents, region.Mappings[0].Size, region.Alignment);
            var mappings = region.Mappings.Select((m, i) => new NdctlMapping(m.Dimm.Device, m.RegionOffset, m.Size, i)).ToList();
            regions.Add(new NdctlRegion(region.Device, region.Spa.Length, region.Alignment, gaps.Aggregate(0UL, (a, b) => a + b),
                gaps.DefaultIfEmpty(0UL).Max(), "pmem", unchecked((long)cookie), mappings, region.PersistenceDomain,
                region.ReadOnly ? true : null, namespaces.Count > 0 ? namespaces : null));
        }
        return new NdctlListing(dimms, regions, problems.Count > 0 ? problems : null);
    }

    private static string? Mismatch(NamespaceLabel label, LabelVersion version, GuestRegion region)
    {
        ulong expected = version == LabelVersion.V1_2 ? region.Cookie2 : region.Cookie1;
        if (label.InterleaveSetCookie != expected)
            return $"interleave-set cookie 0x{label.InterleaveSetCookie:x16}, the region's is 0x{expected:x16}";
        if (version == LabelVersion.V1_2 && label.TypeGuid != NamespaceLabel.PmemTypeGuid)
            return $"type {label.TypeGuid} is not persistent memory";
        if (label.End > region.Mappings[0].Size)
            return $"DPA 0x{label.Dpa:x}+0x{label.RawSize:x} is beyond the DIMM's 0x{region.Mappings[0].Size:x}";
        return null;
    }

    /// <summary>The namespace mode ndctl reports, from the v1.2 abstraction GUID (raw when none).</summary>
    private static string Mode(NamespaceLabel label) => label.AbstractionGuid.ToString() switch
    {
        "266400ba-fb9f-4677-bcb0-968f11d0d225" => "fsdax",
        "97a86d9c-3cdd-4eda-986f-5068b4f80088" => "devdax",
        "8aed63a2-29a2-4c66-8b12-f05d15d3922a" => "sector",
        _ => (label.Flags & NamespaceLabel.FlagBtt) != 0 ? "sector" : "raw",
    };

    /// <summary>
    /// The free stretches of a single-DIMM region's DPA space, each trimmed to the region alignment
    /// at both ends, as Linux counts available_size and max_available_extent.
    /// </summary>
    private static List<ulong> FreeExtents(List<(ulong Dpa, ulong Size)> used, ulong capacity, ulong alignment)
    {
        var gaps = new List<ulong>();
        ulong at = 0;
        foreach (var (dpa, size) in used.OrderBy(e => e.Dpa).Append((capacity, 0UL)))
        {
            ulong start = (at + alignment - 1) / alignment * alignment, end = dpa / alignment * alignment;
            if (end > start)
                gaps.Add(end - start);
            at = Math.Max(at, dpa + size);
        }
        return gaps;
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NdctlListing))]
public sealed partial class NdctlJsonContext : JsonSerializerContext;
