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
    /// <summary>A line longer than this ends the session: no legitimate command comes near it (a 64 MiB hex write is 128 MiB).</summary>
    public const int MaxLineLength = 160 << 20;

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
        var server = new QtestServer(machine, QtestLog.Open(logPath), logger);
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
    private void Serve(Stream input, Stream output, CancellationToken cancel)
    {
        var session = new QtestSession(_machine);
        var reader = new LineReader(input, MaxLineLength);
        using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16) { AutoFlush = false, NewLine = "\n" };
        try
        {
            while (!cancel.IsCancellationRequested)
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

    public void Dispose()
    {
        _endpoint?.Dispose();
        _log.Dispose();
    }
}
