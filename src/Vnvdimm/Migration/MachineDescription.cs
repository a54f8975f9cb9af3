using System.Text.Json;
using System.Text.Json.Serialization;
using Vnvdimm.HostMemory;
using Vnvdimm.Vmm;

namespace Vnvdimm.Migration;

public sealed record BackendDescription(string Id, ulong Size, bool File, bool Share, ulong? Device, ulong? Inode, bool ContentSkipped);

public sealed record NvdimmDescription(string? Id, int Slot, ulong Addr, ulong Size, ulong LabelSize, string Memdev, bool Unarmed);

/// <summary>
/// The first record of the stream: what the source machine is. The destination refuses to take
/// the stream unless its own machine matches, naming the first difference.
/// </summary>
public sealed record MachineDescription(string MachineType, ulong RamSize, uint Slots, ulong MaxMem, bool Nvdimm, string Persistence,
    IReadOnlyList<BackendDescription> Backends, IReadOnlyList<NvdimmDescription> Nvdimms)
{
    public static MachineDescription Of(Machine machine, Func<MemoryBackend, bool> contentSkipped)
    {
        var c = machine.Configuration;
        return new MachineDescription(c.Machine.TypeName, c.Memory.RamSize, c.Memory.Slots, c.Memory.MaxMem, c.Machine.Nvdimm,
            c.Machine.Persistence.ToString(),
            [.. machine.Backends.OrderBy(b => b.Id, StringComparer.Ordinal).Select(b => Describe(b, contentSkipped(b)))],
            [.. machine.Nvdimms.OrderBy(d => d.Slot).Select(d =>
                new NvdimmDescription(d.Id, d.Slot, d.Address, d.RegionSize, d.LabelSize, d.Backend.Id, d.Unarmed))]);
    }

    private static BackendDescription Describe(MemoryBackend b, bool contentSkipped)
    {
        var identity = b.File?.Identity;
        return new BackendDescription(b.Id, b.Size, b.Options.IsFile, b.Options.Share, identity?.Device, identity?.Inode, contentSkipped);
    }

    /// <summary>Null when <paramref name="here"/> can take this machine's state, else the first difference.</summary>
    public string? Mismatch(MachineDescription here)
    {
        if (MachineType != here.MachineType)
            return $"machine type {here.MachineType} here, {MachineType} on the source";
        if ((RamSize, Slots, MaxMem) != (here.RamSize, here.Slots, here.MaxMem))
            return $"memory {here.RamSize} bytes, slots={here.Slots}, maxmem={here.MaxMem} here; " +
                $"{RamSize}, slots={Slots}, maxmem={MaxMem} on the source";
        if ((Nvdimm, Persistence) != (here.Nvdimm, here.Persistence))
            return $"nvdimm={here.Nvdimm}, persistence {here.Persistence} here; nvdimm={Nvdimm}, persistence {Persistence} on the source";
        foreach (var b in Backends)
        {
            var mine = here.Backends.FirstOrDefault(x => x.Id == b.Id);
            if (mine is null)
                return $"the source has memory backend '{b.Id}', this machine has not";
            if (mine.Size != b.Size || mine.File != b.File)
                return $"memory backend '{b.Id}' is {mine.Size} bytes ({(mine.File ? "file" : "ram")}) here, " +
                    $"{b.Size} ({(b.File ? "file" : "ram")}) on the source";
            if (b.ContentSkipped && (mine.Device, mine.Inode) != (b.Device, b.Inode))
                return $"x-ignore-shared: memory backend '{b.Id}' is not the same file on both sides";
        }
        if (here.Backends.FirstOrDefault(x => Backends.All(b => b.Id != x.Id)) is { } extra)
            return $"this machine has memory backend '{extra.Id}', the source has not";
        if (Nvdimms.Count != here.Nvdimms.Count)
            return $"{here.Nvdimms.Count} NVDIMM(s) here, {Nvdimms.Count} on the source";
        foreach (var (theirs, mine) in Nvdimms.Zip(here.Nvdimms))
            if (theirs != mine)
                return $"NVDIMM in slot {theirs.Slot}: here {Describe(mine)}, on the source {Describe(theirs)}";
        return null;
    }

    private static string Describe(NvdimmDescription d) =>
        $"id={d.Id ?? "(none)"} slot={d.Slot} addr=0x{d.Addr:x} size={d.Size} label-size={d.LabelSize} memdev={d.Memdev} " +
        $"unarmed={(d.Unarmed ? "on" : "off")}";

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, MigrationJsonContext.Default.MachineDescription);

    /// <summary>
    /// Reads a source's description. The record's checksum only proves it arrived as sent, not that the
    /// sender was sane: anything that is not a complete description (not JSON, invalid UTF-8, a member
    /// missing, null or of the wrong type) is refused as a bad stream.
    /// </summary>
    public static MachineDescription FromJson(ReadOnlySpan<byte> json)
    {
        try
        {
            var description = JsonSerializer.Deserialize(json, MigrationJsonContext.Default.MachineDescription)
                ?? throw new InvalidDataException("the machine description is null");
            // Nullable annotations cover members, not list elements.
            if (description.Backends.Contains(null!) || description.Nvdimms.Contains(null!))
                throw new InvalidDataException("the machine description is malformed: a null backend or NVDIMM");
            return description;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the machine description is malformed: {e.Message}", e);
        }
    }
}

// Every member is required and non-null unless declared nullable: a description missing one is refused, not half-read.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(MachineDescription))]
internal sealed partial class MigrationJsonContext : JsonSerializerContext;
