using Microsoft.Extensions.Logging;
using Vnvdimm.Options;

namespace Vnvdimm.Chardev;

/// <summary>
/// Endpoints no protocol speaks on: serial ports (there is no CPU to write to them) and chardevs no
/// monitor uses. QEMU opens every character device at start, so a harness that waits for the
/// machine's connection (libqtest's serial socket) gets it, and one that cannot be opened fails the
/// start; what arrives is read and dropped, as by a serial port whose guest never reads.
/// </summary>
public sealed class IdleEndpoints : IDisposable
{
    private readonly List<EndpointServer> _servers = [];

    public static IdleEndpoints Start(IEnumerable<EndpointOptions> endpoints, ILogger logger)
    {
        var idle = new IdleEndpoints();
        try
        {
            foreach (var endpoint in endpoints)
                idle._servers.Add(EndpointServer.Start(endpoint, "-chardev", Drain, logger));
        }
        catch
        {
            idle.Dispose();
            throw;
        }
        return idle;
    }

    private static void Drain(ClientConnection client, CancellationToken cancel)
    {
        var buffer = new byte[4096];
        while (!cancel.IsCancellationRequested && client.Input.Read(buffer) > 0)
        {
        }
    }

    public void Stop(DateTime deadline)
    {
        foreach (var server in _servers)
            server.Stop(deadline);
    }

    public void Dispose() => Stop(DateTime.UtcNow + EndpointServer.StopGrace);
}
