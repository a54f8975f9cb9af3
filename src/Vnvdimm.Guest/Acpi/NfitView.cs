using System.Buffers.Binary;

namespace Vnvdimm.Guest.Acpi;

/// <summary>A raw NFIT sub-structure: its type and bytes (length included).</summary>
public sealed record NfitStructureView(ushort Type, byte[] Bytes)
{
    public const ushort SpaRange = 0, MemoryMap = 1, Interleave = 2, Smbios = 3, ControlRegion = 4, BlockDataWindow = 5, FlushHint = 6,
        PlatformCapabilities = 7;
}

public sealed record NfitInterleave(ushort Index, uint LineSize, IReadOnlyList<uint> LineOffsets);
public sealed record NfitBlockDataWindow(ushort ControlRegionIndex, ushort Windows, ulong Offset, ulong Size, ulong Capacity, ulong StartAddress);
public sealed record NfitFlushHint(uint Handle, IReadOnlyList<ulong> Addresses);

public sealed record NfitSpa(ushort Index, uint ProximityDomain, Guid RangeType, ulong Base, ulong Length);
public sealed record NfitMemoryMap(
    uint Handle, ushort PhysicalId, ushort SpaIndex, ushort ControlRegionIndex, ulong RegionSize, ulong RegionOffset, ushort Flags)
{
    public bool NotArmed => (Flags & (1 << 3)) != 0;
}
public sealed record NfitControlRegionView(ushort Index, ushort VendorId, ushort DeviceId, byte ManufacturingLocation, ushort ManufacturingDate,
    uint SerialNumber, ushort FormatInterfaceCode);

/// <summary>
/// The guest's reading of an NFIT (or of a FIT read through the DSM): every structure kept raw,
/// the ones a driver needs decoded; unknown types are skipped by their length as Linux does.
/// </summary>
public sealed class NfitView
{
    private NfitView(IReadOnlyList<NfitStructureView> structures) => Structures = structures;

    public IReadOnlyList<NfitStructureView> Structures { get; }

    public static NfitView FromTable(AcpiTableView table) => FromFit(table.Body[4..]);

    public static NfitView FromFit(ReadOnlySpan<byte> fit)
    {
        var list = new List<NfitStructureView>();
        int offset = 0;
        while (offset + 4 <= fit.Length)
        {
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(fit[offset..]);
            ushort length = BinaryPrimitives.ReadUInt16LittleEndian(fit[(offset + 2)..]);
            if (length < 4 || length > fit.Length - offset)
                throw new InvalidDataException($"NFIT structure at offset {offset} has bad length {length}");
            list.Add(new NfitStructureView(type, fit.Slice(offset, length).ToArray()));
            offset += length;
        }
        if (offset != fit.Length)
            throw new InvalidDataException($"NFIT has {fit.Length - offset} trailing bytes");
        return new NfitView(list);
    }

    /// <summary>The structures of one type, those too short for their fixed fields left out.</summary>
    private IEnumerable<NfitStructureView> OfType(ushort type, int minimumLength) =>
        Structures.Where(s => s.Type == type && s.Bytes.Length >= minimumLength);

    public IEnumerable<NfitSpa> SpaRanges => OfType(NfitStructureView.SpaRange, 56).Select(s =>
        new NfitSpa(U16(s, 4), U32(s, 12), new Guid(s.Bytes.AsSpan(16, 16)), U64(s, 32), U64(s, 40)));

    public IEnumerable<NfitMemoryMap> MemoryMaps => OfType(NfitStructureView.MemoryMap, 48).Select(s =>
        new NfitMemoryMap(U32(s, 4), U16(s, 8), U16(s, 12), U16(s, 14), U64(s, 16), U64(s, 24), U16(s, 44)));

    public IEnumerable<NfitControlRegionView> ControlRegions => OfType(NfitStructureView.ControlRegion, 80).Select(s =>
        new NfitControlRegionView(U16(s, 4), U16(s, 6), U16(s, 8), s.Bytes[19], U16(s, 20), U32(s, 24), U16(s, 28)));

    public IEnumerable<NfitInterleave> Interleaves => OfType(NfitStructureView.Interleave, 16).Select(s =>
        new NfitInterleave(U16(s, 4), U32(s, 12),
            [.. Enumerable.Range(0, (int)Math.Min(U32(s, 8), (uint)(s.Bytes.Length - 16) / 4)).Select(i => U32(s, 16 + 4 * i))]));

    public IEnumerable<NfitBlockDataWindow> BlockDataWindows => OfType(NfitStructureView.BlockDataWindow, 40).Select(s =>
        new NfitBlockDataWindow(U16(s, 4), U16(s, 6), U64(s, 8), U64(s, 16), U64(s, 24), U64(s, 32)));

    /// <summary>Flush hint addresses per DIMM: where a driver writes to drain the memory controller's write queues.</summary>
    public IEnumerable<NfitFlushHint> FlushHints => OfType(NfitStructureView.FlushHint, 16).Select(s =>
        new NfitFlushHint(U32(s, 4), [.. Enumerable.Range(0, Math.Min(U16(s, 8), (s.Bytes.Length - 16) / 8)).Select(i => U64(s, 16 + 8 * i))]));

    /// <summary>The platform capabilities bits, or null when the NFIT has no such structure.</summary>
    public uint? PlatformCapabilities => OfType(NfitStructureView.PlatformCapabilities, 12)
        .Select(s => (uint?)U32(s, 8)).FirstOrDefault();

    /// <summary>
    /// The persistence domain as Linux names it (drivers/acpi/nfit): bit 0 = CPU caches are flushed
    /// on power loss ("cpu_cache"), bit 1 = the memory controller is ("memory_controller").
    /// </summary>
    public string PersistenceDomain => PlatformCapabilities switch
    {
        uint c when (c & 1) != 0 => "cpu_cache",
        uint c when (c & 2) != 0 => "memory_controller",
        _ => "unknown",
    };

    private static ushort U16(NfitStructureView s, int at) => BinaryPrimitives.ReadUInt16LittleEndian(s.Bytes.AsSpan(at));
    private static uint U32(NfitStructureView s, int at) => BinaryPrimitives.ReadUInt32LittleEndian(s.Bytes.AsSpan(at));
    private static ulong U64(NfitStructureView s, int at) => BinaryPrimitives.ReadUInt64LittleEndian(s.Bytes.AsSpan(at));
}
