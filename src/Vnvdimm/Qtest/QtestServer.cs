using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Vnvdimm.Options;
using Vnvdimm.Vmm;

namespace Vnvdimm.Qtest;

/// <summary>
/// Serves the qtest protocol on the endpoint given by <c>-qtest</c>. <see cref="Completion"/> ends
/// when a stdio or client-mode channel closes: like libqtest's QEMU, the machine then has no guest left.
/// </summary>
public sealed class QtestServer : IDisposable
{
    /// <summary>A line longer than this ends the session: no legitimate command comes near it (a 64 MiB hex write is 128 MiB).</summary>
    public const int MaxLineLength = 160 << 20;

    private readonly Machine _machine;
    private readonly QtestLog _log;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Socket? _listener;

    private QtestServer(Machine machine, QtestLog log, ILogger logger)
    {
        _machine = machine;
        _log = log;
        _logger = logger;
    }

    public Task Completion { get; private set; } = Task.CompletedTask;

    public static QtestServer Start(Machine machine, EndpointOptions endpoint, string? logPath, ILogger logger)
    {
        var server = new QtestServer(machine, QtestLog.Open(logPath), logger);
        server.Completion = endpoint.Kind switch
        {
            EndpointKind.Stdio => OnOwnThread(() => server.Serve(Console.OpenStandardInput(), Console.OpenStandardOutput())),
            EndpointKind.UnixClient => server.ConnectAsync(endpoint.Path!),
            _ => server.ListenAsync(endpoint.Path!),
        };
        return server;
    }

    private async Task ConnectAsync(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            throw new ConfigurationException($"Failed to connect to '{path}': {e.Message}", $"-qtest unix:{path}");
        }
        using var stream = new NetworkStream(socket, ownsSocket: false);
        await OnOwnThread(() => Serve(stream, stream));
    }

    private async Task ListenAsync(string path)
    {
        if (File.Exists(path))
            File.Delete(path); // a stale socket from an earlier run, as QEMU removes it too
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _listener.Listen(8);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptAsync(_stop.Token);
                _ = OnOwnThread(() =>
                {
                    using var stream = new NetworkStream(client, ownsSocket: true);
                    try
                    {
                        Serve(stream, stream);
                    }
                    catch (IOException e)
                    {
                        _logger.LogDebug("qtest client dropped: {Reason}", e.Message);
                    }
                });
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            File.Delete(path);
        }
        await Task.Delay(Timeout.Infinite, _stop.Token).ContinueWith(_ => { });
    }

    /// <summary>
    /// Answers commands until the input ends. Blocking I/O on a thread of its own: a qtest client
    /// waits for each answer, so the round trip is the cost that matters.
    /// </summary>
    private void Serve(Stream input, Stream output)
    {
        var session = new QtestSession(_machine);
        var reader = new LineReader(input, MaxLineLength);
        using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16) { AutoFlush = false, NewLine = "\n" };
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                string? line = reader.ReadLine();
                if (line is null)
                    break;
                _log.Received(line);
                string answer = session.Execute(line);
                _log.Sent(answer);
                writer.WriteLine(answer);
                // Pipelined commands are answered in one write.
                if (!reader.HasBufferedLine)
                    writer.Flush();
            }
            writer.Flush();
        }
        catch (InvalidDataException e)
        {
            _logger.LogWarning("qtest: {Reason}; closing the connection", e.Message);
        }
    }

    private static Task OnOwnThread(Action serve) => Task.Factory.StartNew(serve, TaskCreationOptions.LongRunning);

    public void Dispose()
    {
        _stop.Cancel();
        _listener?.Dispose();
        _log.Dispose();
    }
}
