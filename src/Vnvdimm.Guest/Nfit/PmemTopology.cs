using System.Buffers.Binary;
using Vnvdimm.Guest.Acpi;

namespace Vnvdimm.Guest.Nfit;

/// <summary>A DIMM as Linux's NFIT driver registers it (an "nmem" device).</summary>
public sealed record GuestDimm(int Number, uint Handle, ushort PhysicalId, NfitControlRegionView ControlRegion, bool NotArmed)
{
    public string Device => $"nmem{Number}";

    /// <summary>ndctl's id: vendor and serial as big-endian hex, "8680-56341200" for QEMU's first DIMM.</summary>
    public string Id =>
        $"{BinaryPrimitives.ReverseEndianness(ControlRegion.VendorId):x4}-{BinaryPrimitives.ReverseEndianness(ControlRegion.SerialNumber):x8}";
}

/// <summary>One DIMM's part of a region: which DIMM, how much of its DPA space, from where.</summary>
public sealed record RegionMapping(GuestDimm Dimm, ulong Size, ulong RegionOffset);

/// <summary>
/// A persistent-memory region (a "region" device): its SPA range, its DIMMs, the persistence domain
/// and the interleave-set cookies that namespace labels must carry (v1.1 uses the first, v1.2 the second).
/// </summary>
public sealed record GuestRegion(
    int Number, NfitSpa Spa, IReadOnlyList<RegionMapping> Mappings, string PersistenceDomain, ulong Cookie1, ulong Cookie2)
{
    public string Device => $"region{Number}";

    /// <summary>Unarmed DIMMs make the region read-only, as Linux marks it.</summary>
    public bool ReadOnly => Mappings.Any(m => m.Dimm.NotArmed);

    /// <summary>Namespace sizes are multiples of this: Linux's default region alignment (16 MiB, or a page for smaller regions).</summary>
    public ulong Alignment => Spa.Length >= 16UL << 20 ? 16UL << 20 : 4096;
}

/// <summary>
/// Builds DIMMs and pmem regions from an NFIT the way Linux's acpi/nfit driver does: DIMMs in device
/// handle order, regions in address order, one per persistent-memory SPA range, cookies from the
/// mappings sorted by region offset.
/// </summary>
public sealed class PmemTopology
{
    private PmemTopology(IReadOnlyList<GuestDimm> dimms, IReadOnlyList<GuestRegion> regions)
    {
        Dimms = dimms;
        Regions = regions;
    }

    public IReadOnlyList<GuestDimm> Dimms { get; }
    public IReadOnlyList<GuestRegion> Regions { get; }

    public static PmemTopology From(NfitView nfit)
    {
        var controlRegions = nfit.ControlRegions.ToDictionary(c => c.Index);
        var maps = nfit.MemoryMaps.Where(m => controlRegions.ContainsKey(m.ControlRegionIndex)).OrderBy(m => m.Handle).ToList();
        var dimms = maps.Select((m, i) => new GuestDimm(i, m.Handle, m.PhysicalId, controlRegions[m.ControlRegionIndex], m.NotArmed)).ToList();
        var regions = new List<GuestRegion>();
        foreach (var spa in nfit.SpaRanges.Where(s => s.RangeType == Labels.NamespaceLabel.PmemTypeGuid).OrderBy(s => s.Base))
        {
            var mappings = maps.Select((m, i) => (Map: m, Dimm: dimms[i])).Where(x => x.Map.SpaIndex == spa.Index)
                .Select(x => new RegionMapping(x.Dimm, x.Map.RegionSize, x.Map.RegionOffset))
                .OrderBy(m => m.RegionOffset).ToList();
            regions.Add(new GuestRegion(regions.Count, spa, mappings, nfit.PersistenceDomain, Cookie1(mappings), Cookie2(mappings)));
        }
        return new PmemTopology(dimms, regions);
    }

    /// <summary>Linux's nfit_set_info: per mapping region_offset (8), serial (4), pad (4).</summary>
    private static ulong Cookie1(IReadOnlyList<RegionMapping> mappings)
    {
        var info = new byte[16 * mappings.Count];
        for (int i = 0; i < mappings.Count; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(info.AsSpan(16 * i), mappings[i].RegionOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(info.AsSpan(16 * i + 8), mappings[i].Dimm.ControlRegion.SerialNumber);
        }
        return Labels.Fletcher64.Compute(info);
    }

    /// <summary>Linux's nfit_set_info2: region_offset (8), serial (4), vendor (2), manufacturing date (2) and location (1), 31 reserved.</summary>
    private static ulong Cookie2(IReadOnlyList<RegionMapping> mappings)
    {
        var info = new byte[48 * mappings.Count];
        for (int i = 0; i < mappings.Count; i++)
        {
            var entry = info.AsSpan(48 * i);
            var dcr = mappings[i].Dimm.ControlRegion;
            BinaryPrimitives.WriteUInt64LittleEndian(entry, mappings[i].RegionOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], dcr.SerialNumber);
            BinaryPrimitives.WriteUInt16LittleEndian(entry[12..], dcr.VendorId);
            BinaryPrimitives.WriteUInt16LittleEndian(entry[14..], dcr.ManufacturingDate);
            entry[16] = dcr.ManufacturingLocation;
        }
        return Labels.Fletcher64.Compute(info);
    }
}
