using System.Text.Json.Serialization;
using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Namespaces;
using Vnvdimm.Guest.Namespaces.Pfn;
using Vnvdimm.Guest.Nfit;

namespace Vnvdimm.Guest.Ndctl;

/// <summary>An <c>ndctl list -D</c> DIMM entry (same field names as ndctl).</summary>
public sealed record NdctlDimm(
    [property: JsonPropertyName("dev")] string Dev,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("handle")] uint Handle,
    [property: JsonPropertyName("phys_id")] ushort PhysId);

/// <summary>
/// An <c>ndctl list -N</c> namespace entry, fields in ndctl's order: <c>map</c> and <c>align</c> for fsdax and devdax,
/// <c>chardev</c> (dax{region}.{n}) instead of <c>blockdev</c> and <c>sector_size</c> for devdax, <c>uuid</c> the info
/// block's when there is one.
/// </summary>
public sealed record NdctlNamespace(
    [property: JsonPropertyName("dev")] string Dev,
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("map")] [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Map,
    [property: JsonPropertyName("size")] ulong Size,
    [property: JsonPropertyName("uuid")] [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Uuid,
    [property: JsonPropertyName("sector_size")] [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] uint? SectorSize,
    [property: JsonPropertyName("chardev")] [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Chardev,
    [property: JsonPropertyName("align")] [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ulong? Align,
    [property: JsonPropertyName("blockdev")] [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Blockdev,
    [property: JsonPropertyName("name")] [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name)
{
    /// <summary>The entry of namespace <paramref name="index"/> of region <paramref name="region"/>, with Linux's device names.</summary>
    public static NdctlNamespace From(int region, int index, NamespaceContent content, string? name)
    {
        string suffix = index == 0 ? $"{region}" : $"{region}.{index}";
        return new NdctlNamespace($"namespace{region}.{index}", NamespaceModes.Name(content.Mode),
            content.Map is PfnMap map ? NamespaceModes.Name(map) : null, content.Size, content.Uuid?.ToString("D"), content.SectorSize,
            content.Mode == NamespaceMode.Devdax ? $"dax{region}.{index}" : null, content.Align,
            content.Mode switch { NamespaceMode.Devdax => null, NamespaceMode.Sector => $"pmem{suffix}s", _ => $"pmem{suffix}" },
            string.IsNullOrEmpty(name) ? null : name);
    }
}

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
    [property: JsonPropertyName("iset_id")] [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? IsetId,
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
            ulong cookie = region.Cookie1;
            LabelAreaState? state = null;
            if (region.Mappings.Count == 1 && guest.Labels(region.Mappings[0].Dimm) is LabelStore store)
            {
                state = store.Load();
                problems.AddRange(state.Problems.Select(p => $"{region.Mappings[0].Dimm.Device}: {p}"));
                if (state.Version == LabelVersion.V1_2)
                    cookie = region.Cookie2;
                // Without a valid index Linux does not use the labels at all: the region is label-less.
                if (!state.Initialized)
                    state = null;
            }
            var (namespaces, extents) = Namespaces(region, state, new GuestRegionMedia(guest.Connection, region), problems);
            var gaps = FreeExtents(extents, region.Mappings[0].Size, region.Alignment);
            var mappings = region.Mappings.Select((m, i) => new NdctlMapping(m.Dimm.Device, m.RegionOffset, m.Size, i)).ToList();
            regions.Add(new NdctlRegion(region.Device, region.Spa.Length, region.Alignment, gaps.Aggregate(0UL, (a, b) => a + b),
                gaps.DefaultIfEmpty(0UL).Max(), "pmem", state is null ? null : unchecked((long)cookie), mappings, region.PersistenceDomain,
                region.ReadOnly ? true : null, namespaces.Count > 0 ? namespaces : null));
        }
        return new NdctlListing(dimms, regions, problems.Count > 0 ? problems : null);
    }

    /// <summary>
    /// The namespaces Linux makes of a region: one per label that fits it, in DPA order, or, without a label area, one
    /// over the whole region; each as its info blocks make it. Labels ignored and info blocks refused go to
    /// <paramref name="problems"/>. Offline, where the slot is unknown, <paramref name="checkCookie"/> false takes every
    /// label whatever its interleave-set cookie; <paramref name="infoBlockProblems"/> collects the info blocks' problems alone.
    /// </summary>
    public static (List<NdctlNamespace> Namespaces, List<(ulong Dpa, ulong Size)> Extents) Namespaces(
        GuestRegion region, LabelAreaState? state, IRegionMedia media, List<string> problems, bool checkCookie = true,
        List<string>? infoBlockProblems = null)
    {
        var namespaces = new List<NdctlNamespace>();
        var extents = new List<(ulong Dpa, ulong Size)>();
        string device = region.Mappings[0].Dimm.Device;
        // Linux numbers every namespace, those it could not enable too: ndctl list skips those, keeping the others' names.
        int index = 0;
        if (state is { Version: LabelVersion version })
        {
            foreach (var label in state.Labels.OrderBy(l => l.Dpa))
            {
                if (Mismatch(label, version, region, checkCookie) is string why)
                {
                    problems.Add($"{device}: slot {label.Slot} ({label.Uuid}) ignored: {why}");
                    continue;
                }
                extents.Add((label.Dpa, label.RawSize));
                var content = NamespaceProbe.Read(media, NamespaceExtent.Of(label, version, region.Spa.Base),
                    label.LbaSize is 0 ? 512 : (uint)label.LbaSize);
                Add(content, label.Name);
            }
        }
        else if (state is null)
        {
            // Label-less: Linux gives the whole region to one namespace.
            extents.Add((0, region.Spa.Length));
            Add(NamespaceProbe.Read(media, NamespaceExtent.LabelLess(region.Spa.Length, region.Spa.Base)), null);
        }
        return (namespaces, extents);

        void Add(NamespaceContent content, string? name)
        {
            var entry = NdctlNamespace.From(region.Number, index++, content, name);
            if (content.Problem is not null)
            {
                problems.Add($"{entry.Dev}: {content.Problem}");
                infoBlockProblems?.Add($"{entry.Dev}: {content.Problem}");
            }
            if (content.Enabled)
                namespaces.Add(entry);
        }
    }

    private static string? Mismatch(NamespaceLabel label, LabelVersion version, GuestRegion region, bool checkCookie)
    {
        ulong expected = version == LabelVersion.V1_2 ? region.Cookie2 : region.Cookie1;
        if (checkCookie && label.InterleaveSetCookie != expected)
            return $"interleave-set cookie 0x{label.InterleaveSetCookie:x16}, the region's is 0x{expected:x16}";
        if (version == LabelVersion.V1_2 && label.TypeGuid != NamespaceLabel.PmemTypeGuid)
            return $"type {label.TypeGuid} is not persistent memory";
        if (label.End > region.Mappings[0].Size)
            return $"DPA 0x{label.Dpa:x}+0x{label.RawSize:x} is beyond the DIMM's 0x{region.Mappings[0].Size:x}";
        return null;
    }

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
