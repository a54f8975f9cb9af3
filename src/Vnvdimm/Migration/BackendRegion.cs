using Vnvdimm.HostMemory;

namespace Vnvdimm.Migration;

/// <summary>
/// A memory backend's content. A shared file is read and written through the file (the same page
/// cache, without faulting every page into this process) and its holes travel as zeros; anything else
/// through the mapping. Incoming content is made as durable as the backend's own writes are.
/// </summary>
internal sealed class BackendRegion(ushort index, MemoryBackend backend) : MigrationRegion(index, backend.Id, backend.Mapping, backend.Size)
{
    private BackingFile? SharedFile => backend.SharesFile ? backend.File : null;

    public override IEnumerable<(ulong Offset, ulong Length)> DataExtents()
    {
        CheckIntact();
        return SharedFile is { } file ? file.DataExtents(0, Size) : [(0, Size)];
    }

    /// <summary>A truncated backing file fails the migration: its missing tail must not travel as zeros.</summary>
    public override void CheckIntact()
    {
        if (backend.File is not { } file)
            return;
        long length = file.Length;
        if ((ulong)length < Size)
            throw new StorageFault(
                $"backend '{Name}': the backing file is 0x{length:x} bytes, the backend 0x{Size:x}: it was truncated while in use");
    }

    public override void Read(ulong offset, Span<byte> destination)
    {
        if (SharedFile is { } file)
            file.Read(offset, destination, Name);
        else
            Mapping.Read(offset, destination);
    }

    public override void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (SharedFile is { } file)
        {
            file.Write(offset, data); // visible in the mapping: the same page cache
            Mapping.MarkDirty(offset, (ulong)data.Length);
        }
        else
        {
            Mapping.Write(offset, data);
        }
    }

    /// <summary>Punched out of a shared file (a hole is metadata: <see cref="FinishFlush"/> makes it durable), cleared elsewhere.</summary>
    public override void Zero(ulong offset, ulong length)
    {
        if (SharedFile is { } file)
        {
            Mapping.Unreserve(offset, length); // the blocks go: a later copy into them must allocate again
            file.PunchHole(offset, length);
            return;
        }
        Mapping.ClearNonZero(offset, length);
    }

    public override bool Durable => backend.Durability is not (WriteDurability.Volatile or WriteDurability.ReadOnly);

    public override void Flush(ulong offset, ulong length) => backend.Writes.Flush(offset, length);

    public override void FinishFlush()
    {
        if (SharedFile is { } file)
            file.FlushToDisk();
    }

    public override string? RewrittenFile => SharedFile?.Path;

    // A read-only backend cannot take content (QEMU crashes trying).
    public override string? Refusal => backend.Options.Readonly
        ? $"memory backend '{Name}' is read-only here (readonly=on): it cannot receive the source's content " +
          "(share the same file on both sides with the x-ignore-shared capability instead)"
        : null;
}
