using Vnvdimm.HostMemory;
using Vnvdimm.Vmm;

namespace Vnvdimm.Migration;

/// <summary>
/// Memory the stream carries, in an order both sides derive alike: the machine's own RAM, then every
/// backend by id (an NVDIMM's backend includes its label area, the file's last bytes).
/// </summary>
public sealed record MigrationRegion(ushort Index, string Name, HostMapping Mapping, ulong Size, MemoryBackend? Backend)
{
    public static IReadOnlyList<MigrationRegion> Of(Machine machine)
    {
        var regions = new List<MigrationRegion>();
        if (machine.AnonymousRam is HostMapping ram)
            regions.Add(new MigrationRegion(0, "ram", ram, machine.Layout.RamSize, null));
        foreach (var b in machine.Backends.OrderBy(b => b.Id, StringComparer.Ordinal))
            regions.Add(new MigrationRegion((ushort)regions.Count, b.Id, b.Mapping, b.Size, b));
        return regions;
    }

    /// <summary>The stretches that may hold data: file holes and never-written RAM are zeros.</summary>
    public IEnumerable<(ulong Offset, ulong Length)> DataExtents()
    {
        CheckIntact();
        return Backend?.DataExtents(0, Size) ?? Mapping.EverWrittenExtents();
    }

    /// <summary>A truncated backing file fails the migration: its missing tail must not travel as zeros.</summary>
    public void CheckIntact() => Backend?.CheckFileIntact();

    /// <summary>Copies content out, through the file when it is a shared one (no page faults here).</summary>
    public void Read(ulong offset, Span<byte> destination)
    {
        if (Backend is { SharesFile: true } backend)
            backend.ReadFile(offset, destination);
        else
            Mapping.Read(offset, destination);
    }

    /// <summary>Copies content in (through the file when it is a shared one) and records it as written.</summary>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (Backend is { SharesFile: true } backend)
        {
            backend.WriteFile(offset, data);
            return;
        }
        Mapping.Write(offset, data);
    }
}
