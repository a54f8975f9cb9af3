namespace Vnvdimm.Guest.Namespaces.Btt;

/// <summary>
/// One arena: an info block, the data blocks, the map (one 4-byte entry per external block), the log (one 64-byte group per
/// free block), the info block's copy. <see cref="Offset"/> is from the start of the BTT's space (the namespace plus the
/// version's initial offset); the other offsets are from the arena's start, as the info block stores them.
/// </summary>
public readonly record struct BttArena(ulong Offset, ulong Size, uint ExternalLbaSize, uint InternalLbaSize, uint InternalNlba,
    uint ExternalNlba, uint Nfree, ulong DataOff, ulong MapOff, ulong LogOff, ulong Info2Off, ulong NextOff)
{
    public ulong MapSize => LogOff - MapOff;
    public ulong LogSize => Info2Off - LogOff;

    public BttInfoBlock Info(BttVersion version, Guid uuid, Guid parentUuid) =>
        new(uuid, parentUuid, Flags: 0, version.Major, version.Minor, ExternalLbaSize, ExternalNlba, InternalLbaSize, InternalNlba,
            Nfree, BttInfoBlock.Size, NextOff, DataOff, MapOff, LogOff, Info2Off);
}

/// <summary>
/// The arenas Linux (drivers/nvdimm/btt.c) lays over a BTT's raw space when it creates one: 512 GiB arenas while that much
/// is left, then one of what remains; a remainder under 16 MiB is left unused, and the arena before it is the last.
/// </summary>
public sealed record BttLayout(uint SectorSize, IReadOnlyList<BttArena> Arenas)
{
    /// <summary>The unit every BTT structure is aligned to and sized in.</summary>
    public const uint PageSize = 4096;
    public const ulong ArenaMinSize = 16UL << 20, ArenaMaxSize = 512UL << 30;
    /// <summary>Free blocks per arena: one per lane, Linux's ND_MAX_LANES.</summary>
    public const uint DefaultNfree = 256;
    public const uint MapEntrySize = 4, LogGroupSize = 64, LogEntrySize = 16;
    /// <summary>The first log entry's sequence number.</summary>
    public const uint LogSeqInit = 1;
    /// <summary>Internal blocks are the external size rounded up to this, so the data blocks stay cache-line aligned.</summary>
    public const uint InternalLbaAlignment = 64;

    /// <summary>The external block sizes Linux accepts (btt_lbasize_supported): 512 and 4096 bytes, some with metadata.</summary>
    public static ReadOnlySpan<uint> SupportedSectorSizes => [512, 520, 528, 4096, 4104, 4160, 4224];

    public static bool Supports(uint sectorSize) => SupportedSectorSizes.Contains(sectorSize);

    /// <summary>
    /// The block size Linux's BTT disk exposes for an external block size (the rest is integrity metadata): what the size
    /// Linux reports counts in.
    /// </summary>
    public static uint BlockSize(uint sectorSize) => sectorSize >= 4096 ? 4096u : 512u;

    public ulong ExternalSectors => Arenas.Aggregate(0UL, (sum, a) => sum + a.ExternalNlba);

    /// <summary>The size of the block device Linux makes of the BTT (nd_btt's size, ndctl's "size").</summary>
    public ulong Size => ExternalSectors * BlockSize(SectorSize);

    /// <summary>The arenas for <paramref name="rawSize"/> bytes; none when it is under 16 MiB (Linux refuses such a namespace).</summary>
    public static BttLayout For(ulong rawSize, uint sectorSize)
    {
        if (!Supports(sectorSize))
            throw new ArgumentOutOfRangeException(nameof(sectorSize), $"sector size {sectorSize} is not one of {SupportedSizesText}");
        var arenas = new List<BttArena>();
        ulong offset = 0, remaining = rawSize;
        while (remaining >= ArenaMinSize)
        {
            ulong size = Math.Min(ArenaMaxSize, remaining);
            remaining -= size;
            // Another arena follows only when what is left can hold one; a smaller rest is never used.
            ulong next = remaining >= ArenaMinSize ? size : 0;
            arenas.Add(Arena(offset, size, sectorSize, next));
            offset += size;
        }
        return new BttLayout(sectorSize, arenas);
    }

    public static string SupportedSizesText => string.Join(", ", SupportedSectorSizes.ToArray());

    private static BttArena Arena(ulong offset, ulong size, uint sectorSize, ulong nextOff)
    {
        uint internalLbaSize = RoundUp(sectorSize, InternalLbaAlignment);
        ulong logSize = RoundUp((ulong)DefaultNfree * LogGroupSize, PageSize);
        // What is left for data and map once the two info blocks and the log are out, over whole pages only.
        ulong available = size / PageSize * PageSize - 2 * PageSize - logSize;
        // One page of slack keeps the map's rounding up from eating into the data blocks.
        uint internalNlba = (uint)((available - PageSize) / (internalLbaSize + MapEntrySize));
        uint externalNlba = internalNlba - DefaultNfree;
        ulong mapSize = RoundUp((ulong)externalNlba * MapEntrySize, PageSize);
        ulong dataOff = PageSize, mapOff = dataOff + (available - mapSize), logOff = mapOff + mapSize;
        return new BttArena(offset, size, sectorSize, internalLbaSize, internalNlba, externalNlba, DefaultNfree,
            dataOff, mapOff, logOff, logOff + logSize, nextOff);
    }

    private static uint RoundUp(uint value, uint unit) => (value + unit - 1) / unit * unit;

    private static ulong RoundUp(ulong value, ulong unit) => (value + unit - 1) / unit * unit;
}
