using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Vnvdimm.Vmm;

namespace Vnvdimm.Migration;

/// <summary>
/// Receives a machine into this one: checks the description against its own machine, applies
/// chunks as they land and has a background thread make each one durable meanwhile (libpmem for
/// pmem=on, msync for shared files), so that the end adds only the last chunks and a file sync.
/// Only then does it report completed (and tell the source). Anything wrong — a mismatching
/// machine, a bad checksum, a cut connection — fails the migration; it never reports a copy it
/// has not verified and made durable.
/// </summary>
public sealed class MigrationDestination(Machine machine)
{
    public TimeSpan? LastFlush { get; private set; }
    public long BytesReceived { get; private set; }

    /// <summary>Binds the listening socket: done at once, so that a bad address is the caller's error.</summary>
    public static Socket Bind(MigrationUri uri)
    {
        var listener = uri.NewSocket();
        try
        {
            if (uri.EndPoint is UnixDomainSocketEndPoint unix)
                Chardev.PrivateUnixSocket.Bind(listener, unix.ToString()!);
            else
                listener.Bind(uri.EndPoint);
            listener.Listen(1);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Accepts one source on a socket from <see cref="Bind"/> and receives from it.</summary>
    public void Listen(Socket listener, Action<string> status, CancellationToken cancel)
    {
        using var connection = listener.AcceptAsync(cancel).AsTask().GetAwaiter().GetResult();
        using var abort = cancel.Register(connection.Dispose); // shutdown: the blocked read ends
        status("active");
        using var stream = new NetworkStream(connection, ownsSocket: false);
        try
        {
            Receive(new BufferedStream(stream, 1 << 20));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or SocketException or HostMemory.MappingException)
        {
            TryAnswer(stream, "ERR " + e.Message);
            DrainBriefly(connection);
            throw;
        }
        TryAnswer(stream, "OK");
    }

    /// <summary>
    /// Closing a socket with unread data resets the connection, and the source would lose our
    /// answer: read (and drop) what it still sends until it notices and hangs up, a few seconds at most.
    /// </summary>
    private static void DrainBriefly(Socket connection)
    {
        try
        {
            connection.Shutdown(SocketShutdown.Send);
            connection.ReceiveTimeout = 500;
            var sink = new byte[1 << 16];
            var deadline = DateTime.UtcNow.AddSeconds(3);
            while (DateTime.UtcNow < deadline && connection.Receive(sink) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private static void TryAnswer(Stream stream, string answer)
    {
        try
        {
            stream.Write(Encoding.UTF8.GetBytes(answer.ReplaceLineEndings(" ") + "\n"));
            stream.Flush();
        }
        catch (IOException)
        {
        }
    }

    public void Receive(Stream input)
    {
        MigrationStream.ReadStart(input);
        var buffer = new byte[MigrationStream.MaxPayload];
        var (type, length) = MigrationStream.ReadRecord(input, buffer);
        if (type != RecordType.Description)
            throw new InvalidDataException($"the stream starts with a {type} record, not the machine description");
        var theirs = MachineDescription.FromJson(buffer.AsSpan(0, length));
        var skipped = theirs.Backends.Where(b => b.ContentSkipped).Select(b => b.Id).ToHashSet();
        var mine = MachineDescription.Of(machine, b => skipped.Contains(b.Id));
        if (theirs.Mismatch(mine) is string difference)
            throw new InvalidDataException($"the machines differ: {difference}");
        var regions = MigrationRegion.Of(machine).Where(r => r.Backend is null || !skipped.Contains(r.Backend.Id)).ToList();
        for (int i = 0; i < regions.Count; i++)
            regions[i] = regions[i] with { Index = (ushort)i };

        using var persister = new Persister();
        while (true)
        {
            (type, length) = MigrationStream.ReadRecord(input, buffer);
            BytesReceived += length + MigrationStream.HeaderSize + MigrationStream.TrailerSize;
            var payload = buffer.AsSpan(0, length);
            switch (type)
            {
                case RecordType.Data:
                {
                    var (region, offset) = Locate(regions, payload, length - 10);
                    region.Write(offset, payload[10..]);
                    persister.Add(region, offset, (ulong)(length - 10));
                    break;
                }
                case RecordType.Zero:
                {
                    ulong size = BinaryPrimitives.ReadUInt64LittleEndian(payload[10..]);
                    var (region, offset) = Locate(regions, payload, size > long.MaxValue ? -1 : (long)size);
                    // A punched hole is file metadata: the fdatasync at the end makes it durable, no msync of the range needed.
                    if (region.Backend is { } backend)
                        backend.Zero(offset, size);
                    else
                        ClearNonZero(region, offset, size);
                    break;
                }
                case RecordType.Pass:
                    break;
                case RecordType.DeviceState:
                    ApplyDeviceState(payload);
                    break;
                case RecordType.End:
                    var flush = System.Diagnostics.Stopwatch.StartNew();
                    persister.Finish();
                    foreach (var r in regions)
                        r.Backend?.SyncFile();
                    LastFlush = flush.Elapsed;
                    return;
                default:
                    throw new InvalidDataException($"unknown migration record type {(uint)type}");
            }
        }
    }

    private static (MigrationRegion Region, ulong Offset) Locate(List<MigrationRegion> regions, ReadOnlySpan<byte> payload, long length)
    {
        if (payload.Length < 10)
            throw new InvalidDataException("a migration record is too short");
        ushort index = BinaryPrimitives.ReadUInt16LittleEndian(payload);
        ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(payload[2..]);
        if (index >= regions.Count)
            throw new InvalidDataException($"a migration record names region {index}; there are {regions.Count}");
        var region = regions[index];
        if (length < 0 || offset > region.Size || (ulong)length > region.Size - offset)
            throw new InvalidDataException($"a migration record for {region.Name} [0x{offset:x}+0x{length:x}] lies outside its 0x{region.Size:x} bytes");
        return (region, offset);
    }

    private static void ClearNonZero(MigrationRegion region, ulong offset, ulong length)
    {
        // Never-written RAM is zero already; only what was written needs looking at.
        foreach (var (start, size) in region.Mapping.EverWrittenExtents())
        {
            ulong from = Math.Max(start, offset), to = Math.Min(start + size, offset + length);
            if (from < to)
                ClearRange(region, from, to - from);
        }
    }

    private static void ClearRange(MigrationRegion region, ulong offset, ulong length)
    {
        for (ulong at = offset; at < offset + length; at += 1UL << 20)
        {
            var span = region.Mapping.Span(at, (int)Math.Min(1UL << 20, offset + length - at));
            if (span.IndexOfAnyExcept((byte)0) >= 0)
                span.Clear();
        }
    }

    private void ApplyDeviceState(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 2 || payload.Length < 2 + payload[1])
            throw new InvalidDataException("the device state record is too short");
        bool dirty = payload[0] != 0;
        int gpeLength = payload[1];
        machine.Gpe.RestoreStatus(payload.Slice(2, gpeLength));
        machine.Fit.Restore(payload[(2 + gpeLength)..].ToArray(), dirty);
    }

    /// <summary>Makes applied chunks durable on a thread of its own while more arrive.</summary>
    private sealed class Persister : IDisposable
    {
        /// <summary>
        /// At most this many chunks wait to be made durable: receiving then slows to the storage's pace
        /// (the source feels it through the socket), so the flush after the last byte stays short.
        /// </summary>
        public const int MaxPending = 16;

        private readonly BlockingCollection<(MigrationRegion Region, ulong Offset, ulong Length)> _queue = new(boundedCapacity: MaxPending);
        private readonly Thread _thread;
        private Exception? _failure;

        public Persister()
        {
            _thread = new Thread(Drain) { IsBackground = true, Name = "migration persister" };
            _thread.Start();
        }

        public void Add(MigrationRegion region, ulong offset, ulong length)
        {
            if (region.Backend is { Durability: not (HostMemory.WriteDurability.Volatile or HostMemory.WriteDurability.ReadOnly) })
                _queue.Add((region, offset, length));
            if (_failure is { } e)
                throw new IOException($"making the copy durable failed: {e.Message}", e);
        }

        private void Drain()
        {
            try
            {
                foreach (var (region, offset, length) in _queue.GetConsumingEnumerable())
                    region.Backend!.MakeDurable(offset, length);
            }
            catch (Exception e)
            {
                _failure = e;
            }
        }

        /// <summary>Waits until everything queued is durable.</summary>
        public void Finish()
        {
            _queue.CompleteAdding();
            _thread.Join();
            if (_failure is { } e)
                throw new IOException($"making the copy durable failed: {e.Message}", e);
        }

        public void Dispose()
        {
            _queue.CompleteAdding();
            _thread.Join();
            _queue.Dispose();
        }
    }
}
