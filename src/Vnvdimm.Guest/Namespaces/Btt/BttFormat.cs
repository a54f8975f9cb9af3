using System.Buffers.Binary;

namespace Vnvdimm.Guest.Namespaces.Btt;

/// <summary>A BTT as Linux presents it: its external block size, how many blocks, the block device's size in bytes.</summary>
public sealed record BttSummary(uint SectorSize, ulong Sectors, ulong Size, Guid Uuid, int Arenas);

/// <summary>
/// Sector mode offline: writes a BTT the way Linux does when it finds none (btt_meta_init), and reads one the way Linux does
/// when it attaches (nd_btt_version, discover_arenas). Offsets given are the namespace's in the region.
/// </summary>
public static class BttFormat
{
    /// <summary>Map zeroing reads and compares this much at a time, so zeros already there (a sparse file) are not rewritten.</summary>
    private const int ZeroChunk = 1 << 20;

    public static BttSummary Format(IRegionMedia media, ulong namespaceOffset, ulong namespaceSize, BttVersion version, uint sectorSize,
        Guid uuid, Guid parentUuid)
    {
        if (!BttLayout.Supports(sectorSize))
            throw new InvalidOperationException(
                $"sector size {sectorSize} is not supported for a BTT; Linux accepts {BttLayout.SupportedSizesText}");
        if (uuid == Guid.Empty)
            throw new InvalidOperationException("a BTT needs a uuid of its own");
        CheckInside(media, namespaceOffset, namespaceSize);
        if (namespaceSize < version.InitialOffset + BttLayout.ArenaMinSize)
            throw new InvalidOperationException($"a {namespaceSize}-byte namespace is too small for a {version}: it needs at least " +
                $"{version.InitialOffset + BttLayout.ArenaMinSize} bytes (one 16 MiB arena)");

        var layout = BttLayout.For(namespaceSize - version.InitialOffset, sectorSize);
        ulong start = namespaceOffset + version.InitialOffset;
        // A stale info block from an earlier BTT would vouch for the map and log about to be rewritten: gone first.
        ZeroUnlessZero(media, start, BttInfoBlock.Size);
        foreach (var arena in layout.Arenas)
        {
            ulong at = start + arena.Offset;
            ZeroUnlessZero(media, at + arena.MapOff, arena.MapSize);
            media.Write(at + arena.LogOff, InitialLog(arena));
            media.Write(at + arena.Info2Off, arena.Info(version, uuid, parentUuid).ToBytes());
        }
        // Info blocks last, the first arena's after every other, each after the rest is durable: until then Linux sees no BTT.
        media.Flush();
        for (int i = layout.Arenas.Count - 1; i >= 0; i--)
            media.Write(start + layout.Arenas[i].Offset, layout.Arenas[i].Info(version, uuid, parentUuid).ToBytes());
        media.Flush();
        return new BttSummary(sectorSize, layout.ExternalSectors, layout.Size, uuid, layout.Arenas.Count);
    }

    /// <summary>
    /// The BTT on a namespace as Linux would attach it: the summary when Linux would accept it, (null, null) when the first info
    /// block is missing (no BTT: Linux would offer to create one), or why Linux would refuse it.
    /// </summary>
    public static (BttSummary? Summary, string? Problem) Probe(IRegionMedia media, ulong namespaceOffset, ulong namespaceSize,
        BttVersion version, Guid parentUuid)
    {
        CheckInside(media, namespaceOffset, namespaceSize);
        if (namespaceSize < version.InitialOffset + BttInfoBlock.Size)
            return (null, null);
        ulong start = namespaceOffset + version.InitialOffset, rawSize = namespaceSize - version.InitialOffset;
        ulong offset = 0, sectors = 0;
        BttInfoBlock? first = null;
        int arenas = 0;
        while (true)
        {
            string where = $"arena {arenas} (0x{offset:x} into the {version}'s space)";
            if (rawSize - offset < BttInfoBlock.Size)
                return (null, $"{where}: its info block would be past the namespace's end");
            var (info, status) = BttInfoBlock.Parse(media.Read(start + offset, BttInfoBlock.Size));
            if (status == BttInfoStatus.NoSignature)
                return arenas == 0 ? (null, null) : (null, $"{where}: no BTT info block where the previous arena's nextoff points");
            if (info is null)
                return (null, $"{where}: info block checksum mismatch");
            if (!info.BelongsTo(parentUuid))
                return (null, $"{where}: info block belongs to namespace {info.ParentUuid}, not {parentUuid}");
            if (first is null)
            {
                if (info.VersionMajor != version.Major || info.VersionMinor != version.Minor)
                    return (null, $"{where}: info block is BTT {info.VersionMajor}.{info.VersionMinor}, the namespace's labels call for {version}");
                if (rawSize < BttLayout.ArenaMinSize)
                    return (null, $"the namespace is too small for a {version}: {rawSize} bytes after the initial offset, under 16 MiB");
            }
            // Linux takes a last arena's size from where its info block's copy ends.
            ulong size = info.NextOff != 0 ? info.NextOff : info.Info2Off + BttInfoBlock.Size;
            if (GeometryProblem(info, first, size, rawSize - offset) is { } problem)
                return (null, $"{where}: {problem}");
            first ??= info;
            sectors += info.ExternalNlba;
            offset += size;
            arenas++;
            // As Linux: the chain ends at a nextoff of zero or where the namespace does.
            if (info.NextOff == 0 || offset == rawSize)
                break;
        }
        return (new BttSummary(first.ExternalLbaSize, sectors, sectors * BttLayout.BlockSize(first.ExternalLbaSize), first.Uuid,
            arenas), null);
    }

    /// <summary>The log Linux writes on a new arena: all zero but, in each lane's group, entry 0 naming its free block.</summary>
    private static byte[] InitialLog(BttArena arena)
    {
        var log = new byte[arena.LogSize];
        for (uint lane = 0; lane < arena.Nfree; lane++)
        {
            var entry = log.AsSpan((int)(lane * BttLayout.LogGroupSize), (int)BttLayout.LogEntrySize);
            BinaryPrimitives.WriteUInt32LittleEndian(entry, lane);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], arena.ExternalNlba + lane);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], arena.ExternalNlba + lane);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[12..], BttLayout.LogSeqInit);
        }
        return log;
    }

    /// <summary>Whether the arena's parts, as its info block places them, fit in it, in order, each big enough.</summary>
    private static string? GeometryProblem(BttInfoBlock info, BttInfoBlock? first, ulong size, ulong left)
    {
        if (size > left)
            return $"its {size} bytes run past the namespace's end ({left} bytes left)";
        if (!BttLayout.Supports(info.ExternalLbaSize))
            return $"sector size {info.ExternalLbaSize} is not one Linux supports";
        if (first is not null && info.ExternalLbaSize != first.ExternalLbaSize)
            return $"sector size {info.ExternalLbaSize} differs from the first arena's {first.ExternalLbaSize}";
        if (info.InternalLbaSize < info.ExternalLbaSize || info.Nfree == 0 || info.ExternalNlba + (ulong)info.Nfree > info.InternalNlba)
            return $"inconsistent block counts (internal {info.InternalNlba}x{info.InternalLbaSize}, external {info.ExternalNlba}x" +
                $"{info.ExternalLbaSize}, {info.Nfree} free)";
        if (!Fits(BttInfoBlock.Size, info.DataOff, (ulong)info.InternalNlba * info.InternalLbaSize, info.MapOff)
            || !Fits(info.DataOff, info.MapOff, (ulong)info.ExternalNlba * BttLayout.MapEntrySize, info.LogOff)
            || !Fits(info.MapOff, info.LogOff, (ulong)info.Nfree * BttLayout.LogGroupSize, info.Info2Off)
            || !Fits(info.LogOff, info.Info2Off, BttInfoBlock.Size, size))
            return $"data 0x{info.DataOff:x}, map 0x{info.MapOff:x}, log 0x{info.LogOff:x}, info2 0x{info.Info2Off:x} do not fit " +
                $"{info.InternalNlba} blocks, {info.ExternalNlba} map entries and {info.Nfree} log groups in 0x{size:x} bytes";
        return null;
    }

    /// <summary>Whether <paramref name="length"/> bytes at <paramref name="at"/>, not before <paramref name="after"/>, end by
    /// <paramref name="end"/> (without overflowing on offsets read from the media).</summary>
    private static bool Fits(ulong after, ulong at, ulong length, ulong end) => at >= after && at <= end && length <= end - at;

    private static void ZeroUnlessZero(IRegionMedia media, ulong offset, ulong length)
    {
        byte[]? zeros = null;
        for (ulong done = 0; done < length;)
        {
            int chunk = (int)Math.Min(ZeroChunk, length - done);
            if (media.Read(offset + done, chunk).AsSpan().ContainsAnyExcept((byte)0))
                media.Write(offset + done, (zeros ??= new byte[ZeroChunk]).AsSpan(0, chunk));
            done += (ulong)chunk;
        }
    }

    private static void CheckInside(IRegionMedia media, ulong offset, ulong size)
    {
        if (offset > media.Size || size > media.Size - offset)
            throw new InvalidOperationException($"namespace 0x{offset:x}+0x{size:x} is outside the 0x{media.Size:x}-byte region");
    }
}
