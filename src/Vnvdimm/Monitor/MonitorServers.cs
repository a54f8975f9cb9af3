using Microsoft.Extensions.Logging;
using Vnvdimm.Chardev;
using Vnvdimm.Monitor.Hmp;
using Vnvdimm.Monitor.Qmp;
using Vnvdimm.Options;

namespace Vnvdimm.Monitor;

/// <summary>The machine's QMP (-qmp) and HMP (-monitor) endpoints, all over one <see cref="MachineMonitor"/>.</summary>
public sealed class MonitorServers : IDisposable
{
    private readonly List<EndpointServer> _endpoints = [];

    private MonitorServers()
    {
    }

    public static MonitorServers Start(MachineMonitor monitor, MachineConfiguration config, ILogger logger)
    {
        var servers = new MonitorServers();
        var commands = new QmpCommands(monitor);
        var hmp = new HmpInterpreter(monitor, HmpInterpreter.AwaitQuietly);
        try
        {
            foreach (var endpoint in config.Qmp)
                servers._endpoints.Add(EndpointServer.Start(endpoint, "-qmp",
                    (client, cancel) => new QmpSession(commands, monitor).Run(client, logger, cancel), logger));
            foreach (var endpoint in config.Monitors)
                servers._endpoints.Add(EndpointServer.Start(endpoint, "-monitor",
                    (client, cancel) => new HmpSession(hmp, client.Input, client.Output).Run(cancel), logger));
        }
        catch
        {
            servers.Dispose();
            throw;
        }
        return servers;
    }

    /// <summary>Stops every endpoint; clients still there at <paramref name="deadline"/> are hung up on.</summary>
    public void Stop(DateTime deadline)
    {
        foreach (var endpoint in _endpoints)
            endpoint.Stop(deadline);
    }

    public void Dispose() => Stop(DateTime.UtcNow + EndpointServer.StopGrace);
}
