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
            if (uri.Address is Options.SocketUri.Inet inet)
                listener.Bind(inet.ListenEndPoint());
            else
                Chardev.PrivateUnixSocket.Bind(listener, ((Options.SocketUri.Unix)uri.Address).Path);
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
    public void Listen(Socket listener, Action<MigrationStatus> status, CancellationToken cancel)
    {
        using var connection = listener.AcceptAsync(cancel).AsTask().GetAwaiter().GetResult();
        using var abort = cancel.Register(connection.Dispose); // shutdown: the blocked read ends
        status(MigrationStatus.Active);
        using var stream = new NetworkStream(connection, ownsSocket: false);
        try
        {
            Receive(new BufferedStream(stream, 1 << 20));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or SocketException or HostMemory.MappingException
            or HostMemory.StorageFault)
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
        var regions = MigrationRegion.Of(machine, b => skipped.Contains(b.Id));
        // Refused before anything moves.
        if (regions.Select(r => r.Refusal).FirstOrDefault(r => r is not null) is string refusal)
            throw new InvalidDataException(refusal);

        // From the first byte written the files change: until the copy is complete and durable they are marked as
        // incomplete. A stream that ends before that has changed nothing and leaves no mark.
        var files = regions.Select(r => r.RewrittenFile).OfType<string>().ToList();
        bool marked = false;
        void MarkBeforeWriting()
        {
            if (marked)
                return;
            foreach (var file in files)
                HostMemory.IncompleteCopyMark.Set(file, $"incoming migration into '{file}' began; it is not complete");
            marked = true;
        }

        // The first pass sends every region whole, in order: what it covered is checked at the end,
        // so a stream that skips content can never complete.
        var covered = new ulong[regions.Count];
        int pass = 0;
        IReadOnlyList<(IMigratableState Part, byte[] State)>? deviceState = null;
        using var persister = new Persister();
        while (true)
        {
            (type, length) = MigrationStream.ReadRecord(input, buffer);
            BytesReceived += length + MigrationStream.HeaderSize + MigrationStream.TrailerSize;
            var payload = buffer.AsSpan(0, length);
            if (pass == 0 && type is RecordType.Data or RecordType.Zero)
                throw new InvalidDataException($"a {type} record arrived before the first pass began");
            if (deviceState is not null && type != RecordType.End)
                throw new InvalidDataException($"a {type} record arrived after the device state");
            switch (type)
            {
                case RecordType.Data:
                {
                    if (length <= 10)
                        throw new InvalidDataException("a data record carries no data");
                    var (region, offset) = Locate(regions, payload, length - 10);
                    Cover(covered, region, offset, (ulong)(length - 10), pass);
                    MarkBeforeWriting();
                    region.Write(offset, payload[10..]);
                    persister.Add(region, offset, (ulong)(length - 10));
                    break;
                }
                case RecordType.Zero:
                {
                    if (length != 18)
                        throw new InvalidDataException($"a zero record of {length} bytes (18 expected)");
                    ulong size = BinaryPrimitives.ReadUInt64LittleEndian(payload[10..]);
                    var (region, offset) = Locate(regions, payload, size > long.MaxValue ? -1 : (long)size);
                    Cover(covered, region, offset, size, pass);
                    MarkBeforeWriting();
                    region.Zero(offset, size);
                    break;
                }
                case RecordType.Pass:
                    int next = length == 4 ? BinaryPrimitives.ReadInt32LittleEndian(payload) : -1;
                    if (next != pass + 1)
                        throw new InvalidDataException($"pass {next} follows pass {pass}");
                    pass = next;
                    break;
                case RecordType.DeviceState:
                    deviceState = DeviceStateRecord.Check(payload, machine.MigratableStates);
                    break;
                case RecordType.End:
                    // The source's count of bytes sent: only its size is checked (the destination counts differently).
                    if (length != 8)
                        throw new InvalidDataException($"an end record of {length} bytes (8 expected)");
                    for (int i = 0; i < regions.Count; i++)
                        if (covered[i] != regions[i].Size)
                            throw new InvalidDataException(
                                $"the stream ended with {regions[i].Name} covered to 0x{covered[i]:x} of 0x{regions[i].Size:x} bytes");
                    if (deviceState is null)
                        throw new InvalidDataException("the stream ended without the device state");
                    var flush = System.Diagnostics.Stopwatch.StartNew();
                    persister.Finish();
                    foreach (var r in regions)
                        r.FinishFlush();
                    foreach (var file in files)
                        HostMemory.IncompleteCopyMark.Clear(file);
                    LastFlush = flush.Elapsed;
                    using (machine.Enter())
                        DeviceStateRecord.Load(deviceState);
                    return;
                default:
                    throw new InvalidDataException($"unknown migration record type {(uint)type}");
            }
        }
    }

    /// <summary>
    /// First-pass records must leave no gap after what the region's earlier ones covered (they may
    /// overlap it: memory the guest wrote meanwhile can show up again).
    /// </summary>
    private static void Cover(ulong[] covered, MigrationRegion region, ulong offset, ulong length, int pass)
    {
        if (pass != 1)
            return;
        if (offset > covered[region.Index])
            throw new InvalidDataException($"the first pass over {region.Name} jumps from 0x{covered[region.Index]:x} to 0x{offset:x}");
        covered[region.Index] = Math.Max(covered[region.Index], offset + length);
    }

    private static (MigrationRegion Region, ulong Offset) Locate(IReadOnlyList<MigrationRegion> regions, ReadOnlySpan<byte> payload, long length)
    {
        if (payload.Length < 10)
            throw new InvalidDataException("a migration record is too short");
        ushort index = BinaryPrimitives.ReadUInt16LittleEndian(payload);
        ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(payload[2..]);
        if (index >= regions.Count)
            throw new InvalidDataException($"a migration record names region {index}; there are {regions.Count}");
        var region = regions[index];
        if (length < 0 || offset > region.Size || (ulong)length > region.Size - offset)
            throw new InvalidDataException(
                $"a migration record for {region.Name} [0x{offset:x}+0x{length:x}] lies outside its 0x{region.Size:x} bytes");
        return (region, offset);
    }

    /// <summary>Makes applied chunks durable on a thread of its own while more arrive.</summary>
    internal sealed class Persister : IDisposable
    {
        /// <summary>
        /// At most this many chunks wait to be made durable: receiving then slows to the storage's pace
        /// (the source feels it through the socket), so the flush after the last byte stays short.
        /// </summary>
        public const int MaxPending = 16;

        private readonly BlockingCollection<(MigrationRegion Region, ulong Offset, ulong Length)> _queue = new(boundedCapacity: MaxPending);
        private readonly Thread _thread;
        private readonly Action<MigrationRegion, ulong, ulong> _makeDurable;
        private volatile Exception? _failure;

        /// <param name="makeDurable">How a chunk is made durable; tests inject a failing one.</param>
        public Persister(Action<MigrationRegion, ulong, ulong>? makeDurable = null)
        {
            _makeDurable = makeDurable ?? ((region, offset, length) => region.Flush(offset, length));
            _thread = new Thread(Drain) { IsBackground = true, Name = "migration persister" };
            _thread.Start();
        }

        public void Add(MigrationRegion region, ulong offset, ulong length)
        {
            if (region.Durable)
            {
                try
                {
                    _queue.Add((region, offset, length));
                }
                catch (InvalidOperationException) when (_failure is not null)
                {
                    // The drain failed and closed the queue (also waking this Add if it was waiting for room).
                }
            }
            if (_failure is { } e)
                throw new IOException($"making the copy durable failed: {e.Message}", e);
        }

        private void Drain()
        {
            try
            {
                foreach (var (region, offset, length) in _queue.GetConsumingEnumerable())
                    _makeDurable(region, offset, length);
            }
            catch (Exception e)
            {
                _failure = e;
                _queue.CompleteAdding(); // nothing will drain any more: the receiver must not wait for room
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
