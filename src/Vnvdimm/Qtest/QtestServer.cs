using System.Buffers;
using System.Text;
using Microsoft.Extensions.Logging;
using Vnvdimm.Chardev;
using Vnvdimm.Options;
using Vnvdimm.Vmm;

namespace Vnvdimm.Qtest;

/// <summary>
/// Serves the qtest protocol on the endpoint given by <c>-qtest</c>. <see cref="Completion"/> ends
/// when a stdio or client-mode channel closes: like libqtest's QEMU, the machine then has no guest left.
/// </summary>
public sealed class QtestServer : IDisposable
{
    /// <summary>
    /// The longest command line: a 32 MiB <c>write</c> in hex or a 48 MiB <c>b64write</c>. A longer line
    /// is dropped as it streams in and answered with an error; the session goes on. With a read's data and
    /// answer, one client holds at most about three times this much, and only while its command runs.
    /// </summary>
    public const int MaxLineLength = (64 << 20) + 64;

    /// <summary>Every command but write and b64write fits in this; they announce their length.</summary>
    public const int ShortLine = 4096;

    private const int LargeBuffer = 16 << 20;

    /// <summary>
    /// How long a line that starts with <paramref name="prefix"/> may grow: a data-carrying write may hold
    /// its announced length (in hex or base64, with slack for what QEMU ignores), anything else a short line.
    /// </summary>
    internal static long LineLimit(ReadOnlySpan<byte> prefix)
    {
        bool hex = prefix.StartsWith("write "u8), base64 = prefix.StartsWith("b64write "u8);
        if (!hex && !base64)
            return ShortLine;
        // "write ADDR LEN DATA": the length is the third word, complete once the data has begun.
        var rest = prefix;
        for (int word = 0; word < 2; word++)
        {
            rest = rest[rest.IndexOf((byte)' ')..].TrimStart((byte)' ');
            if (rest.IndexOf((byte)' ') < 0)
                return ShortLine;
        }
        int end = rest.IndexOf((byte)' ');
        if (rest[end..].TrimStart((byte)' ').IsEmpty)
            return ShortLine;
        ulong length;
        try
        {
            length = Math.Min(QtestSession.Number(rest[..end]), QtestSession.MaxTransfer);
        }
        catch (QtestArgumentException)
        {
            return ShortLine;
        }
        ulong payload = hex ? 2 + 2 * length : (length + 2) / 3 * 4;
        return (long)payload + ShortLine;
    }

    private readonly Machine _machine;
    private readonly QtestLog _log;
    private readonly ILogger _logger;
    private EndpointServer? _endpoint;

    private QtestServer(Machine machine, QtestLog log, ILogger logger)
    {
        _machine = machine;
        _log = log;
        _logger = logger;
    }

    public Task Completion => _endpoint?.Completion ?? Task.CompletedTask;

    public static QtestServer Start(Machine machine, EndpointOptions endpoint, string? logPath, ILogger logger)
    {
        var server = new QtestServer(machine, QtestLog.Open(logPath, logger), logger);
        try
        {
            server._endpoint = EndpointServer.Start(endpoint, "-qtest", server.Serve, logger);
        }
        catch
        {
            server.Dispose();
            throw;
        }
        return server;
    }

    /// <summary>
    /// Answers commands until the input ends. Blocking I/O on a thread of its own: a qtest client
    /// waits for each answer, so the round trip is the cost that matters.
    /// </summary>
    private void Serve(ClientConnection client, CancellationToken cancel)
    {
        using var session = new QtestSession(_machine);
        var reader = new LineReader(client.Input, MaxLineLength);
        var output = new BufferedStream(client.Output, 1 << 16);
        // Answers stream to the client as they are encoded, unless a log wants each one whole.
        var streaming = new StreamingAnswer(output);
        var logged = new ArrayBufferWriter<byte>(256);
        bool buffered = false; // a complete further line is already in the reader
        while (!cancel.IsCancellationRequested)
        {
            if (client.Socket is { } socket && !buffered)
                AwaitNextCommand(socket);
            var status = reader.Read(out var line, LineLimit);
            if (status == LineStatus.End)
                break;
            bool logging = _log.IsOpen;
            IBufferWriter<byte> answer = logging ? logged : streaming;
            logged.ResetWrittenCount();
            if (status == LineStatus.TooLong)
            {
                _logger.LogWarning("{Client}: a line too long for its command was dropped", client.Name);
                Encoding.ASCII.GetBytes(
                    $"ERR line too long: {ShortLine} bytes at most, or what write/b64write announce, up to {MaxLineLength}", answer);
            }
            else
            {
                if (logging)
                    _log.Received(Encoding.Latin1.GetString(line));
                session.Execute(line, answer);
            }
            // Interrupt notes go before the answer, unless part of a long answer is already out.
            if (logging || !streaming.Started)
            {
                while (session.TryTakeIrq(out string irq))
                {
                    if (logging)
                        _log.Sent(irq);
                    output.Write(Encoding.ASCII.GetBytes(irq + "\n"));
                }
            }
            if (logging)
            {
                _log.Sent(Encoding.Latin1.GetString(logged.WrittenSpan));
                output.Write(logged.WrittenSpan);
            }
            else
            {
                streaming.Finish();
            }
            output.WriteByte((byte)'\n');
            if (logged.Capacity > LargeBuffer || line.Length > LargeBuffer)
            {
                // A large transfer's buffers are not kept alive by an idle client, and go back to the system now.
                logged = new ArrayBufferWriter<byte>(256);
                GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }
            // Pipelined commands are answered in one write.
            buffered = reader.HasBufferedLine;
            if (!buffered)
                output.Flush();
        }
        output.Flush();
    }

    /// <summary>How long a session looks for the next command before it sleeps in a read.</summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency * 30 / 1_000_000; // 30 µs

    /// <summary>
    /// A lockstep client sends its next command a few microseconds after reading an answer. Sleeping in
    /// a read in the meantime costs a wake-up (on a VM an inter-processor interrupt, tens of µs) per
    /// round trip; looking for it for a short while first, yielding the CPU each time, does not.
    /// </summary>
    private static void AwaitNextCommand(System.Net.Sockets.Socket socket)
    {
        long until = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
        try
        {
            while (socket.Available == 0 && System.Diagnostics.Stopwatch.GetTimestamp() < until)
                Thread.Yield();
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // the read that follows reports it
        }
    }

    /// <summary>Stops serving; clients still there at <paramref name="deadline"/> are hung up on.</summary>
    public void Stop(DateTime deadline)
    {
        _endpoint?.Stop(deadline);
        _log.Dispose();
    }

    public void Dispose() => Stop(DateTime.UtcNow + EndpointServer.StopGrace);
}
