using Vnvdimm.HostMemory;
using Vnvdimm.Vmm;

namespace Vnvdimm.Migration;

/// <summary>
/// Memory the stream carries, numbered alike on both sides: the machine's own RAM, then every backend
/// by id (an NVDIMM's backend includes its label area, the file's last bytes), without those left out.
/// Each region keeps its dirty log (the mapping's), gives its content and takes the source's.
/// </summary>
public abstract class MigrationRegion(ushort index, string name, HostMapping mapping, ulong size)
{
    public ushort Index { get; } = index;
    public string Name { get; } = name;
    public ulong Size { get; } = size;

    /// <param name="leftOut">Backends whose content does not travel (x-ignore-shared's shared files).</param>
    public static IReadOnlyList<MigrationRegion> Of(Machine machine, Func<MemoryBackend, bool> leftOut)
    {
        var regions = new List<MigrationRegion>();
        if (machine.AnonymousRam is HostMapping ram)
            regions.Add(new RamRegion(0, ram, machine.Layout.RamSize));
        foreach (var b in machine.Backends.Where(b => !leftOut(b)).OrderBy(b => b.Id, StringComparer.Ordinal))
            regions.Add(new BackendRegion((ushort)regions.Count, b));
        return regions;
    }

    /// <summary>The mapping whose dirty log says what guests wrote.</summary>
    protected HostMapping Mapping { get; } = mapping;

    public void StartDirtyLog() => Mapping.StartDirtyLog();
    public void StopDirtyLog() => Mapping.StopDirtyLog();

    /// <summary>The granules written since the log started or was last taken, one bit each.</summary>
    public ulong[] TakeDirty() => Mapping.TakeDirty();

    /// <summary>The stretches that may hold data: file holes and never-written RAM are zeros.</summary>
    public abstract IEnumerable<(ulong Offset, ulong Length)> DataExtents();

    /// <summary>Fails when the content can no longer be trusted whole (a backing file cut short).</summary>
    public virtual void CheckIntact()
    {
    }

    public abstract void Read(ulong offset, Span<byte> destination);

    /// <summary>Copies the source's content in and records it as written.</summary>
    public abstract void Write(ulong offset, ReadOnlySpan<byte> data);

    /// <summary>Makes a range read as zeros.</summary>
    public abstract void Zero(ulong offset, ulong length);

    /// <summary>Whether what is written here must be made durable before the copy counts as done.</summary>
    public virtual bool Durable => false;

    /// <summary>Makes a written range durable (a thread of its own does this while more arrives).</summary>
    public virtual void Flush(ulong offset, ulong length)
    {
    }

    /// <summary>Makes what the flushes do not cover durable too (file metadata, punched holes).</summary>
    public virtual void FinishFlush()
    {
    }

    /// <summary>The file the copy rewrites, marked incomplete until the copy is durable; null for memory alone.</summary>
    public virtual string? RewrittenFile => null;

    /// <summary>Why the source's content cannot be taken here, or null.</summary>
    public virtual string? Refusal => null;
}
