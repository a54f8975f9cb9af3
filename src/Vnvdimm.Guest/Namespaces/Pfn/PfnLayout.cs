namespace Vnvdimm.Guest.Namespaces.Pfn;

/// <summary>
/// The arithmetic of an fsdax/devdax namespace as Linux 6.1 on x86-64 does it (nd_pfn_init to make, nd_pfn_validate to
/// accept): 8 KiB for the reserve and the info block, then, with the map in the namespace, 64 bytes of struct page per
/// 4 KiB page, the data starting at the next alignment boundary, and the tail past the last boundary cut off.
/// </summary>
public static class PfnLayout
{
    public const ulong PageSize = 4096;

    /// <summary>What precedes the memmap: the first 4 KiB and the info block.</summary>
    public const ulong InfoReserve = 8192;

    /// <summary>Linux maps device memory in 2 MiB subsections on x86-64 (memremap_compat_align): start, end and data honour it.</summary>
    public const ulong CompatAlign = 2UL << 20;

    /// <summary>The alignments Linux 6.1 offers on x86-64: a page, a PMD and a PUD mapping.</summary>
    public static readonly IReadOnlyList<ulong> Alignments = [4096, 2UL << 20, 1UL << 30];

    public const ulong DefaultAlign = 2UL << 20;

    /// <summary>
    /// The info block Linux would write for a namespace of <paramref name="size"/> bytes at guest-physical
    /// <paramref name="start"/>; refused, as Linux and ndctl refuse, when no such namespace can be mapped.
    /// </summary>
    /// <param name="trimTail">Take a size that is not a multiple of the align, its tail cut off (a label-less namespace).</param>
    public static PfnInfoBlock Plan(PfnKind kind, Guid uuid, Guid parentUuid, ulong start, ulong size, PfnMap map, ulong align,
        bool trimTail = false)
    {
        if (!Alignments.Contains(align))
            throw new InvalidOperationException($"align {Describe(align)} is not supported (Linux maps at 4K, 2M or 1G)");
        if (!trimTail && size % align != 0)
            throw new InvalidOperationException($"size {size} is not a multiple of the align {Describe(align)}");
        if (start % CompatAlign != 0)
            throw new InvalidOperationException(
                $"the namespace would start at guest address 0x{start:x}, not on a 2 MiB boundary: Linux cannot map it as {Mode(kind)}");
        ulong effective = Math.Max(align, CompatAlign);
        ulong end = start + size;
        ulong endTrunc = end - end / effective * effective;
        ulong pages = size > InfoReserve ? (size - InfoReserve) / PageSize : 0;
        ulong reserve = InfoReserve + (map == PfnMap.Dev ? PfnInfoBlock.ReservedStructPageSize * pages : 0);
        ulong offset = AlignUp(start + reserve, effective) - start;
        if (size <= InfoReserve || offset >= size - endTrunc)
            throw new InvalidOperationException($"{size} bytes cannot hold the info block" +
                (map == PfnMap.Dev ? " and the page map (--map dev)" : "") + $" and any data at {Describe(Math.Max(align, CompatAlign))} alignment");
        return new PfnInfoBlock(kind, uuid, parentUuid, 0, PfnInfoBlock.CurrentMajor, PfnInfoBlock.CurrentMinor, offset,
            (size - offset - endTrunc) / PageSize, map, 0, (uint)endTrunc, (uint)align, (uint)PageSize, PfnInfoBlock.ReservedStructPageSize);
    }

    /// <summary>The bytes a guest gets: the namespace less what precedes the data and the cut tail (Linux's pfn size).</summary>
    public static ulong DataSize(PfnInfoBlock block, ulong namespaceSize) =>
        namespaceSize - block.StartPad - block.EndTrunc - block.DataOffset;

    /// <summary>
    /// Why Linux would refuse this block for a namespace of <paramref name="size"/> bytes at <paramref name="start"/> whose
    /// uuid is <paramref name="parentUuid"/> (empty for a label-less namespace), or null when it takes it. Linux's checks,
    /// a misplaced start told before the misaligned data it causes.
    /// </summary>
    public static string? Problem(PfnInfoBlock block, Guid parentUuid, ulong start, ulong size)
    {
        if (block.ParentUuid != parentUuid)
            return $"its parent uuid {block.ParentUuid} is not the namespace's ({(parentUuid == Guid.Empty ? "none: no label" : parentUuid)})";
        if (block.Map is not (PfnMap.Mem or PfnMap.Dev))
            return $"mode {(uint)block.Map} is neither 1 (map mem) nor 2 (map dev)";
        if (block.Map == PfnMap.Dev && block.PageSize > PageSize)
            return $"page size {block.PageSize} is larger than the guest's {PageSize}";
        if (block.Map == PfnMap.Dev && block.PageStructSize < PfnInfoBlock.ReservedStructPageSize)
            return $"struct page size {block.PageStructSize} is smaller than Linux's {PfnInfoBlock.ReservedStructPageSize}";
        ulong align = block.Align != 0 ? block.Align : block.DataOffset == 0 ? 0 : 1UL << (63 - (int)ulong.LeadingZeroCount(block.DataOffset));
        if (block.Kind == PfnKind.Dax && !Alignments.Contains(align))
            return $"align {Describe(align)} is not one Linux supports for devdax";
        if (align > size)
            return $"align {Describe(align)} exceeds the namespace's {size} bytes";
        if (block.DataOffset >= size)
            return $"data offset 0x{block.DataOffset:x} is beyond the namespace's {size} bytes";
        if ((ulong)block.StartPad + block.EndTrunc >= size - block.DataOffset)
            return $"start pad 0x{block.StartPad:x} and end trim 0x{block.EndTrunc:x} leave no data in the namespace";
        if ((start + block.StartPad) % CompatAlign != 0)
            return $"the namespace starts at guest address 0x{start + block.StartPad:x}, not on a 2 MiB boundary";
        if ((align != 0 && (start + block.DataOffset + block.StartPad) % align != 0) || block.DataOffset % PageSize != 0)
            return $"data offset 0x{block.DataOffset:x} is not aligned to {Describe(align)} at guest address 0x{start:x}";
        if ((start + size - block.EndTrunc) % CompatAlign != 0)
            return $"the namespace ends at guest address 0x{start + size - block.EndTrunc:x}, not on a 2 MiB boundary";
        if (block.DataOffset >= size - block.StartPad - block.EndTrunc)
            return $"data offset 0x{block.DataOffset:x} leaves no data in the namespace";
        ulong pages = DataSize(block, size) / PageSize;
        if (block.Map == PfnMap.Dev && block.DataOffset < InfoReserve + PfnInfoBlock.ReservedStructPageSize * pages)
            return $"data offset 0x{block.DataOffset:x} leaves no room for the struct pages of its {pages} pages";
        return null;
    }

    /// <summary>
    /// Whether Linux, refusing the block, passes the namespace on (another info block may claim it, else it is raw): a
    /// block of another namespace or of an unknown mode. Every other refusal leaves the namespace without a device.
    /// </summary>
    public static bool PassesOn(PfnInfoBlock block, Guid parentUuid) =>
        block.ParentUuid != parentUuid || block.Map is not (PfnMap.Mem or PfnMap.Dev);

    private static string Mode(PfnKind kind) => kind == PfnKind.Dax ? "devdax" : "fsdax";

    private static ulong AlignUp(ulong value, ulong align) => (value + align - 1) / align * align;

    /// <summary>An alignment as ndctl's options spell it.</summary>
    public static string Describe(ulong align) =>
        align >= 1UL << 30 && align % (1UL << 30) == 0 ? $"{align >> 30}G"
        : align >= 1UL << 20 && align % (1UL << 20) == 0 ? $"{align >> 20}M"
        : align >= 1024 && align % 1024 == 0 ? $"{align >> 10}K" : $"{align}";
}
