using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Vnvdimm.Vmm;

namespace Vnvdimm.Migration;

/// <summary>
/// Sends a machine: description, then precopy passes (everything once, then what guests wrote
/// meanwhile, tracked by the mappings' dirty logs) until little is left, then a short stop-and-copy
/// under the machine's lock (no guest access runs), the device state and the end marker; then it
/// waits for the destination to say its copy is durable. Any failure leaves this machine running.
/// </summary>
public sealed class MigrationSource
{
    /// <summary>Precopy ends when a pass would send less than this, or after <see cref="MaxPasses"/>.</summary>
    public const ulong ConvergedBytes = 8UL << 20;
    public const int MaxPasses = 30;

    /// <summary>
    /// How long the stop-and-copy, which holds the machine lock, may wait for the destination to take
    /// data; a destination that stops reading fails the migration rather than freezing this machine.
    /// </summary>
    public static readonly TimeSpan StopAndCopySendTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the paused source waits for the destination to confirm its copy is durable. Its flushes run
    /// while the data arrives, so what is left at the end is short; a destination that takes longer is hung.
    /// </summary>
    public static readonly TimeSpan ConfirmationTimeout = TimeSpan.FromSeconds(30);

    private readonly Machine _machine;
    private readonly MigrationSettings _settings;
    private readonly Action<MigrationStatus> _status;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Func<ulong> _maxBandwidth;

    /// <param name="maxBandwidth">The limit now: migrate-set-parameters changes it while the migration runs.</param>
    public MigrationSource(Machine machine, MigrationSettings settings, Action<MigrationStatus> status, Func<ulong>? maxBandwidth = null)
    {
        _maxBandwidth = maxBandwidth ?? (() => settings.MaxBandwidth);
        _machine = machine;
        _settings = settings;
        _status = status;
        Regions = MigrationRegion.Of(machine, LeftOut);
        Progress = new MigrationProgress { Total = Regions.Aggregate(0UL, (sum, r) => sum + r.Size) };
    }

    public IReadOnlyList<MigrationRegion> Regions { get; }
    public MigrationProgress Progress { get; }
    public TimeSpan Elapsed => _clock.Elapsed;
    public TimeSpan? Downtime { get; private set; }
    public TimeSpan? SetupTime { get; private set; }

    private bool LeftOut(HostMemory.MemoryBackend backend) => _settings.IgnoreShared && backend.SharesFile;

    public void Run(MigrationUri uri, CancellationToken cancel)
    {
        using var socket = uri.NewSocket();
        try
        {
            socket.ConnectAsync(uri.EndPoint, cancel).AsTask().GetAwaiter().GetResult();
        }
        catch (SocketException e)
        {
            throw new IOException($"Failed to connect to '{uri.Address.Target}': {uri.Address.ConnectFailure(e)}");
        }
        if (socket.ProtocolType == ProtocolType.Tcp)
            socket.NoDelay = true;
        _socket = socket;
        using var network = new NetworkStream(socket, ownsSocket: false);
        using var cancelRegistration = cancel.Register(() => socket.Dispose());
        var throttle = new ThrottledStream(network, _maxBandwidth, Progress, cancel);
        var output = new BufferedStream(throttle, 1 << 20);

        foreach (var r in Regions)
            r.StartDirtyLog();
        bool stopped = false;
        var runStateBefore = RunState.Running;
        try
        {
            MigrationStream.WriteStart(output);
            var description = MachineDescription.Of(_machine, LeftOut);
            MigrationStream.WriteRecord(output, RecordType.Description, description.ToJson());
            SetupTime = _clock.Elapsed;
            _status(MigrationStatus.Active);

            // Pass 1: everything (holes as zero ranges).
            Pass(output, 1);
            foreach (var r in Regions)
                SendRegion(output, r, cancel);

            // Further passes: what was written meanwhile, until it is little.
            int pass = 1;
            while (true)
            {
                cancel.ThrowIfCancellationRequested();
                var dirty = Regions.Select(r => r.TakeDirty()).ToList();
                ulong bytes = DirtyBytes(dirty);
                Progress.SetRemaining(bytes);
                if (bytes <= ConvergedBytes || ++pass > MaxPasses)
                {
                    // Stop-and-copy: nothing touches guest memory while we hold the machine's lock.
                    var downtime = Stopwatch.StartNew();
                    using (_machine.Enter())
                    {
                        runStateBefore = _machine.RunState;
                        if (runStateBefore == RunState.Shutdown || !_machine.SetRunState(runStateBefore, RunState.FinishMigrate))
                            throw new IOException("the machine is shutting down");
                        stopped = true;
                        throttle.Limited = false;
                        socket.SendTimeout = (int)StopAndCopySendTimeout.TotalMilliseconds;
                        Progress.Pass(); // the final bitmap sync counts, as in QEMU's dirty-sync-count
                        foreach (var (r, bits) in Regions.Zip(dirty))
                            SendDirty(output, r, bits, cancel);
                        foreach (var (r, bits) in Regions.Zip(Regions.Select(r => r.TakeDirty())))
                            SendDirty(output, r, bits, cancel);
                        foreach (var r in Regions)
                            r.CheckIntact();
                        MigrationStream.WriteRecord(output, RecordType.DeviceState, DeviceStateRecord.Save(_machine.MigratableStates));
                        Span<byte> end = stackalloc byte[8];
                        BinaryPrimitives.WriteInt64LittleEndian(end, Progress.Transferred);
                        MigrationStream.WriteRecord(output, RecordType.End, end);
                        output.Flush();
                        Progress.SetRemaining(0);
                    }
                    Downtime = downtime.Elapsed;
                    break;
                }
                Pass(output, pass);
                foreach (var (r, bits) in Regions.Zip(dirty))
                    SendDirty(output, r, bits, cancel);
            }

            // The destination answers once its copy is durable (or why it is not). The guest is paused
            // meanwhile: a destination that never answers fails the migration, and the guest runs on here.
            socket.ReceiveTimeout = (int)ConfirmationTimeout.TotalMilliseconds;
            string answer;
            try
            {
                answer = ReadAnswer(network);
            }
            catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut })
            {
                throw new IOException($"the destination did not confirm its copy within {ConfirmationTimeout.TotalSeconds:0} s", e);
            }
            if (answer != "OK")
                throw Refused(answer);
            _machine.SetRunState(RunState.FinishMigrate, RunState.PostMigrate);
        }
        catch (IOException e) when (DestinationReason(socket) is string reason)
        {
            // The destination hung up on us: its answer says why (a bad checksum, another machine).
            if (stopped)
                _machine.SetRunState(RunState.FinishMigrate, runStateBefore);
            throw new IOException($"the destination refused the migration: {reason}", e);
        }
        catch when (stopped)
        {
            // Nothing was switched over: this machine keeps running as before.
            _machine.SetRunState(RunState.FinishMigrate, runStateBefore);
            throw;
        }
        finally
        {
            foreach (var r in Regions)
                r.StopDirtyLog();
        }
    }

    private void Pass(Stream output, int pass)
    {
        Progress.Pass();
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(payload, pass);
        MigrationStream.WriteRecord(output, RecordType.Pass, payload);
        if (_settings.Events)
            _machine.Events.Publish(new MigrationPassEvent(pass));
    }

    private static ulong DirtyBytes(List<ulong[]> dirty) =>
        (ulong)dirty.Sum(bits => bits.Sum(w => System.Numerics.BitOperations.PopCount(w))) * Vnvdimm.HostMemory.HostMapping.DirtyGranule;

    /// <summary>A whole region: data extents in chunks, the holes between them as zero ranges.</summary>
    private void SendRegion(Stream output, MigrationRegion region, CancellationToken cancel)
    {
        ulong at = 0;
        foreach (var (offset, length) in region.DataExtents())
        {
            if (offset > at)
                SendZero(output, region, at, offset - at);
            // "remaining" falls chunk by chunk, so that a client (and the prompt's progress bar) sees a large extent move.
            SendRange(output, region, offset, length, cancel, sentUpTo => Progress.SetRemaining(Progress.Total - (_covered + sentUpTo)));
            at = offset + length;
        }
        if (at < region.Size)
        {
            region.CheckIntact(); // the hole at the end must be a hole, not a file cut short meanwhile
            SendZero(output, region, at, region.Size - at);
        }
        _covered += region.Size;
        Progress.SetRemaining(Progress.Total - _covered);
    }

    private ulong _covered; // bytes of the first pass done, for "remaining"
    private Socket? _socket;

    /// <summary>
    /// The destination speaks only to confirm or to refuse; anything it sent before the end is a
    /// refusal (a bad checksum, another machine): stop sending and report its reason.
    /// </summary>
    private void CheckDestination()
    {
        if (_socket is { Available: > 0 } socket)
        {
            using var input = new NetworkStream(socket, ownsSocket: false);
            string answer = ReadAnswer(input);
            throw Refused(answer);
        }
    }

    private void SendDirty(Stream output, MigrationRegion region, ulong[] bits, CancellationToken cancel)
    {
        ulong granule = Vnvdimm.HostMemory.HostMapping.DirtyGranule;
        for (int word = 0; word < bits.Length; word++)
        {
            ulong w = bits[word];
            while (w != 0)
            {
                int bit = System.Numerics.BitOperations.TrailingZeroCount(w);
                w &= w - 1;
                ulong offset = ((ulong)word * 64 + (ulong)bit) * granule;
                if (offset < region.Size)
                    SendRange(output, region, offset, Math.Min(granule, region.Size - offset), cancel);
            }
        }
    }

    /// <summary>Sends [offset, offset+length) as data chunks, runs of zero pages as zero ranges.</summary>
    /// <param name="sent">Told, after each chunk, the region offset up to which the range has been sent.</param>
    private void SendRange(Stream output, MigrationRegion region, ulong offset, ulong length, CancellationToken cancel, Action<ulong>? sent = null)
    {
        int page = (int)MigrationProgress.PageSize;
        ulong end = offset + length;
        for (ulong at = offset; at < end;)
        {
            cancel.ThrowIfCancellationRequested();
            int size = (int)Math.Min(end - at, (ulong)MigrationStream.MaxChunk);
            var chunk = _chunk.AsSpan(0, size);
            region.Read(at, chunk);
            // Split the chunk into runs of zero and non-zero pages.
            int runStart = 0;
            bool runZero = IsZero(chunk[..Math.Min(page, size)]);
            for (int p = page; p < size; p += page)
            {
                bool zero = IsZero(chunk[p..Math.Min(p + page, size)]);
                if (zero == runZero)
                    continue;
                SendRun(output, region, at + (ulong)runStart, chunk[runStart..p], runZero);
                runStart = p;
                runZero = zero;
            }
            SendRun(output, region, at + (ulong)runStart, chunk[runStart..], runZero);
            at += (ulong)size;
            sent?.Invoke(at);
        }
    }

    private readonly byte[] _chunk = new byte[MigrationStream.MaxChunk];

    private static bool IsZero(ReadOnlySpan<byte> bytes) => bytes.IndexOfAnyExcept((byte)0) < 0;

    private void SendRun(Stream output, MigrationRegion region, ulong offset, ReadOnlySpan<byte> data, bool zero)
    {
        if (zero)
        {
            SendZero(output, region, offset, (ulong)data.Length);
            return;
        }
        Span<byte> head = stackalloc byte[10];
        BinaryPrimitives.WriteUInt16LittleEndian(head, region.Index);
        BinaryPrimitives.WriteUInt64LittleEndian(head[2..], offset);
        MigrationStream.WriteRecord(output, RecordType.Data, head, data);
        Progress.DataPages((ulong)data.Length);
        CheckDestination();
    }

    private void SendZero(Stream output, MigrationRegion region, ulong offset, ulong length)
    {
        Span<byte> payload = stackalloc byte[18];
        BinaryPrimitives.WriteUInt16LittleEndian(payload, region.Index);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[2..], offset);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[10..], length);
        MigrationStream.WriteRecord(output, RecordType.Zero, payload);
        Progress.ZeroPages(length);
        CheckDestination();
    }

    private static IOException Refused(string answer) =>
        new($"the destination refused the migration: {(answer.StartsWith("ERR ", StringComparison.Ordinal) ? answer[4..] : answer)}");

    /// <summary>After a failed write, the "ERR reason" line the destination sent before closing, if any.</summary>
    private static string? DestinationReason(Socket socket)
    {
        try
        {
            socket.ReceiveTimeout = 1000;
            using var input = new NetworkStream(socket, ownsSocket: false);
            string answer = ReadAnswer(input);
            return answer.StartsWith("ERR ", StringComparison.Ordinal) ? answer[4..] : null;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    private static string ReadAnswer(Stream input)
    {
        var line = new List<byte>();
        int b;
        while ((b = input.ReadByte()) >= 0 && b != '\n' && line.Count < 4096)
            line.Add((byte)b);
        if (b < 0)
            throw new IOException("the destination closed the connection before confirming");
        return Encoding.UTF8.GetString([.. line]);
    }
}
