using Vnvdimm.Options;

namespace Vnvdimm.HostMemory;

public enum WriteDurability
{
    /// <summary>Private file mapping or RAM: nothing outlives the process, nothing to flush.</summary>
    Volatile,
    /// <summary>Shared file: msync of the touched pages before the write is acknowledged.</summary>
    Msync,
    /// <summary>pmem=on with MAP_SYNC: libpmem's cache flushes reach the media.</summary>
    Libpmem,
    /// <summary>pmem=on without MAP_SYNC (not DAX): libpmem, then msync to get from the page cache to storage.</summary>
    LibpmemThenMsync,
    /// <summary>readonly=on: the emulator writes nothing.</summary>
    ReadOnly,
}

/// <summary>
/// The one place that decides how the emulator's own writes to a backend (labels, an incoming
/// migration) become durable: libpmem's cache flushes for pmem=on, msync where the file is not DAX
/// (cache flushes then reach only the page cache), nothing for private mappings and RAM.
/// </summary>
public sealed class DurableWrites(string backendId, HostMapping mapping, WriteDurability durability, Libpmem? libpmem)
{
    public WriteDurability Durability => durability;

    private bool FlushesCaches => durability is WriteDurability.Libpmem or WriteDurability.LibpmemThenMsync;
    private bool SyncsPages => durability is WriteDurability.Msync or WriteDurability.LibpmemThenMsync;

    /// <summary>The policy for a backend: what its options and its mapping allow.</summary>
    public static WriteDurability For(BackendOptions options, bool hasLibpmem, bool mapSync) =>
        options.Readonly ? WriteDurability.ReadOnly
        // A private mapping never reaches the file: there is nothing to make durable.
        : !options.IsFile || !options.Share ? WriteDurability.Volatile
        : hasLibpmem ? (mapSync ? WriteDurability.Libpmem : WriteDurability.LibpmemThenMsync)
        : WriteDurability.Msync;

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> and returns once it is durable.</summary>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (durability == WriteDurability.ReadOnly)
            throw new InvalidOperationException($"backend '{backendId}' is read-only");
        if (data.IsEmpty)
            return;
        if (FlushesCaches)
        {
            mapping.Reserve(offset, (ulong)data.Length); // libpmem copies through the mapping: no page may be missing
            libpmem!.CopyPersist(mapping.Address + (nint)offset, data);
            mapping.MarkDirty(offset, (ulong)data.Length);
        }
        else
        {
            mapping.Write(offset, data);
        }
        if (SyncsPages)
            mapping.Sync(offset, (ulong)data.Length);
        if (durability != WriteDurability.Volatile)
            mapping.ConfirmBacked(offset, (ulong)data.Length);
    }

    /// <summary>Makes bytes already in the mapping durable, as <see cref="Write"/> would have: an incoming migration's chunks.</summary>
    public void Flush(ulong offset, ulong length)
    {
        if (FlushesCaches)
            libpmem!.Persist(mapping.Address + (nint)offset, (nuint)length);
        if (SyncsPages)
            mapping.Sync(offset, length);
    }
}
