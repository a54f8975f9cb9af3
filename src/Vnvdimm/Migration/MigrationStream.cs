using System.Buffers.Binary;
using System.IO.Hashing;

namespace Vnvdimm.Migration;

/// <summary>The record types of the stream (docs/migration-stream.md).</summary>
public enum RecordType : uint
{
    Description = 1,
    Data = 2,
    Zero = 3,
    Pass = 4,
    DeviceState = 5,
    End = 6,
}

/// <summary>
/// Reads and writes the migration stream: an 8-byte magic and a version, then records of
/// (type u32, length u32, payload, XXH3-64 of type+length+payload), all little-endian.
/// A record that fails its checksum, is too long or is cut short ends the migration with an error.
/// </summary>
public static class MigrationStream
{
    public static ReadOnlySpan<byte> Magic => "VNVDMIG\n"u8;
    public const uint Version = 2;

    /// <summary>Data records carry at most this much: large enough for the socket, small enough to re-send.</summary>
    public const int MaxChunk = 1 << 20;

    /// <summary>No legitimate record is larger (a chunk plus its header; descriptions and FITs are far smaller).</summary>
    public const int MaxPayload = MaxChunk + 64;

    public const int HeaderSize = 8, TrailerSize = 8;

    public static void WriteStart(Stream stream)
    {
        Span<byte> start = stackalloc byte[12];
        Magic.CopyTo(start);
        BinaryPrimitives.WriteUInt32LittleEndian(start[8..], Version);
        stream.Write(start);
    }

    public static void ReadStart(Stream stream)
    {
        Span<byte> start = stackalloc byte[12];
        ReadAll(stream, start);
        if (!start[..8].SequenceEqual(Magic))
            throw new InvalidDataException("not a vnvdimm migration stream (bad magic)");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(start[8..]);
        if (version != Version)
            throw new InvalidDataException($"migration stream version {version}; this vnvdimm reads version {Version}");
    }

    /// <summary>Writes one record; <paramref name="head"/> and <paramref name="body"/> together are the payload.</summary>
    public static void WriteRecord(Stream stream, RecordType type, ReadOnlySpan<byte> head, ReadOnlySpan<byte> body = default)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)type);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)(head.Length + body.Length));
        var hash = new XxHash3();
        hash.Append(header);
        hash.Append(head);
        hash.Append(body);
        Span<byte> trailer = stackalloc byte[TrailerSize];
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, hash.GetCurrentHashAsUInt64());
        stream.Write(header);
        stream.Write(head);
        stream.Write(body);
        stream.Write(trailer);
    }

    /// <summary>
    /// Reads one record into <paramref name="buffer"/> (at least <see cref="MaxPayload"/> bytes) and returns its type and payload length.
    /// </summary>
    public static (RecordType Type, int Length) ReadRecord(Stream stream, byte[] buffer)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        ReadAll(stream, header);
        var type = (RecordType)BinaryPrimitives.ReadUInt32LittleEndian(header);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (length > MaxPayload)
            throw new InvalidDataException($"migration record of {length} bytes exceeds the {MaxPayload}-byte limit");
        ReadAll(stream, buffer.AsSpan(0, (int)length));
        Span<byte> trailer = stackalloc byte[TrailerSize];
        ReadAll(stream, trailer);
        var hash = new XxHash3();
        hash.Append(header);
        hash.Append(buffer.AsSpan(0, (int)length));
        if (hash.GetCurrentHashAsUInt64() != BinaryPrimitives.ReadUInt64LittleEndian(trailer))
            throw new InvalidDataException($"migration record of type {type} failed its checksum: the stream is corrupt");
        return (type, (int)length);
    }

    /// <summary>What a stream cut short says, in the user's words rather than .NET's.</summary>
    public const string CutShort = "the migration stream ended before it was complete (the source closed the connection)";

    private static void ReadAll(Stream stream, Span<byte> into)
    {
        try
        {
            stream.ReadExactly(into);
        }
        catch (EndOfStreamException)
        {
            throw new EndOfStreamException(CutShort);
        }
    }
}
