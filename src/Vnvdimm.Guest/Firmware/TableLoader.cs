using System.Buffers.Binary;
using System.Text;
using Vnvdimm.Guest.Transport;

namespace Vnvdimm.Guest.Firmware;

/// <summary>Where the loader puts what it allocates: the two zones of QEMU's linker/loader interface.</summary>
/// <param name="FSegment">
/// Allocations for the F-segment zone (the RSDP). Real firmware unlocks the BIOS shadow at 0xE0000;
/// over qtest that area is ROM on QEMU, so the toolkit uses conventional RAM below 1 MiB and searches there.
/// </param>
/// <param name="High">Allocations for the high zone (tables, the DSM page), growing upwards.</param>
public sealed record LoaderMemory(ulong FSegment = 0x80000, ulong FSegmentSize = 0x10000, ulong High = 0x1000000);

/// <summary>A file the loader placed in guest memory, with its content after pointers and checksums.</summary>
public sealed record LoadedFile(string Name, ulong Address, byte[] Content);

/// <summary>
/// Executes <c>etc/table-loader</c> as firmware does: ALLOCATE copies each fw_cfg file into guest
/// RAM (aligned, in its zone), ADD_POINTER adds a file's guest address to a pointer inside another,
/// ADD_CHECKSUM makes a byte range sum to zero. Works the same against QEMU and vnvdimm.
/// </summary>
public static class TableLoader
{
    public const string LoaderFile = "etc/table-loader";
    private const int EntrySize = 128, NameSize = 56;
    private const uint Allocate = 1, AddPointer = 2, AddChecksum = 3;
    private const byte ZoneHigh = 1, ZoneFSegment = 2;

    public static IReadOnlyDictionary<string, LoadedFile> Run(IGuestConnection guest, FwCfgClient fwCfg, LoaderMemory? memory = null)
    {
        memory ??= new LoaderMemory();
        var script = fwCfg.ReadFile(LoaderFile);
        var files = new Dictionary<string, (ulong Address, byte[] Content)>(StringComparer.Ordinal);
        ulong high = memory.High, fseg = memory.FSegment;

        for (int at = 0; at + EntrySize <= script.Length; at += EntrySize)
        {
            var entry = script.AsSpan(at, EntrySize);
            uint command = BinaryPrimitives.ReadUInt32LittleEndian(entry);
            var body = entry[4..];
            switch (command)
            {
                case 0:
                    break; // padding
                case Allocate:
                {
                    string name = Name(body);
                    uint align = Math.Max(1, BinaryPrimitives.ReadUInt32LittleEndian(body[NameSize..]));
                    byte zone = body[NameSize + 4];
                    var content = fwCfg.ReadFile(name);
                    ref ulong next = ref zone == ZoneFSegment ? ref fseg : ref high;
                    if (zone != ZoneHigh && zone != ZoneFSegment)
                        throw new InvalidDataException($"loader: ALLOCATE {name} in unknown zone {zone}");
                    ulong address = (next + align - 1) / align * align;
                    next = address + (ulong)content.Length;
                    if (zone == ZoneFSegment && next > memory.FSegment + memory.FSegmentSize)
                        throw new InvalidDataException($"loader: {name} does not fit the F-segment zone");
                    files[name] = (address, content);
                    break;
                }
                case AddPointer:
                {
                    string destination = Name(body), source = Name(body[NameSize..]);
                    uint offset = BinaryPrimitives.ReadUInt32LittleEndian(body[(2 * NameSize)..]);
                    byte size = body[2 * NameSize + 4];
                    var (_, content) = Known(files, destination);
                    var (sourceAddress, _) = Known(files, source);
                    if (size is not (1 or 2 or 4 or 8) || offset + size > content.Length)
                        throw new InvalidDataException($"loader: ADD_POINTER {destination}+{offset} size {size} out of bounds");
                    Span<byte> pointer = stackalloc byte[8];
                    pointer.Clear();
                    content.AsSpan((int)offset, size).CopyTo(pointer);
                    ulong value = BinaryPrimitives.ReadUInt64LittleEndian(pointer) + sourceAddress;
                    BinaryPrimitives.WriteUInt64LittleEndian(pointer, value);
                    pointer[..size].CopyTo(content.AsSpan((int)offset));
                    break;
                }
                case AddChecksum:
                {
                    string name = Name(body);
                    uint offset = BinaryPrimitives.ReadUInt32LittleEndian(body[NameSize..]);
                    uint start = BinaryPrimitives.ReadUInt32LittleEndian(body[(NameSize + 4)..]);
                    uint length = BinaryPrimitives.ReadUInt32LittleEndian(body[(NameSize + 8)..]);
                    var (_, content) = Known(files, name);
                    if (offset >= content.Length || (ulong)start + length > (ulong)content.Length)
                        throw new InvalidDataException($"loader: ADD_CHECKSUM {name} out of bounds");
                    byte sum = 0;
                    foreach (byte b in content.AsSpan((int)start, (int)length))
                        sum += b;
                    content[offset] -= sum;
                    break;
                }
                default:
                    throw new InvalidDataException($"loader: command {command} is not supported by this firmware");
            }
        }

        foreach (var (_, (address, content)) in files)
            guest.WriteMemory(address, content);
        return files.ToDictionary(f => f.Key, f => new LoadedFile(f.Key, f.Value.Address, f.Value.Content), StringComparer.Ordinal);
    }

    private static (ulong Address, byte[] Content) Known(Dictionary<string, (ulong, byte[])> files, string name) =>
        files.TryGetValue(name, out var file) ? file : throw new InvalidDataException($"loader: {name} used before ALLOCATE");

    private static string Name(ReadOnlySpan<byte> field)
    {
        var bytes = field[..NameSize];
        int nul = bytes.IndexOf((byte)0);
        return Encoding.ASCII.GetString(nul < 0 ? bytes : bytes[..nul]);
    }
}
