using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Vnvdimm.Options;

namespace Vnvdimm.Chardev;

/// <summary>
/// Serves a protocol (qtest, QMP, HMP) on a character-device endpoint: standard I/O, a Unix socket
/// it connects to, or a listening Unix (mode 0600) or TCP socket. Listeners serve many clients at
/// once, each on its own thread with blocking I/O; a client that goes away ends only its own session.
/// Everything that can fail (bind, connect) fails in <see cref="Start"/>, before the machine serves.
/// </summary>
public sealed class EndpointServer : IDisposable
{
    /// <summary>Connections beyond this many are closed at once: a runaway client cannot exhaust threads.</summary>
    public const int MaxClients = 64;

    private readonly Action<Stream, Stream, CancellationToken> _serve;
    private readonly ILogger _logger;
    private readonly string _protocol;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, Task> _clients = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? _listener;
    private string? _socketPath;

    private EndpointServer(Action<Stream, Stream, CancellationToken> serve, ILogger logger, string protocol)
    {
        _serve = serve;
        _logger = logger;
        _protocol = protocol;
    }

    /// <summary>Ends when a stdio or client-mode connection closes; a listener ends only when disposed.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <param name="option">The command-line option ("-qmp"), for error messages.</param>
    public static EndpointServer Start(EndpointOptions endpoint, string option, Action<Stream, Stream, CancellationToken> serve, ILogger logger)
    {
        var server = new EndpointServer(serve, logger, option.TrimStart('-'));
        switch (endpoint.Kind)
        {
            case EndpointKind.Stdio:
                server.Completion = OnOwnThread(() => serve(Console.OpenStandardInput(), Console.OpenStandardOutput(), server._stop.Token));
                break;
            case EndpointKind.UnixClient:
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    socket.Connect(new UnixDomainSocketEndPoint(endpoint.Path!));
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    throw new ConfigurationException($"Failed to connect to '{endpoint.Path}': {e.Message}", $"{option} unix:{endpoint.Path}");
                }
                server.Completion = server.ServeClient(socket);
                break;
            case EndpointKind.UnixServer:
                server.ListenUnix(endpoint.Path!, option);
                server.Completion = server._stopped.Task;
                break;
            case EndpointKind.TcpServer:
                server.ListenTcp(endpoint.Host ?? "", endpoint.Port, option);
                server.Completion = server._stopped.Task;
                break;
        }
        return server;
    }

    private void ListenUnix(string path, string option)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            // Nobody else may drive the machine.
            PrivateUnixSocket.Bind(listener, path);
            listener.Listen(16);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new ConfigurationException($"Failed to bind socket to {path}: {e.Message}", $"{option} unix:{path}");
        }
        _socketPath = path;
        _listener = listener;
        _ = AcceptLoopAsync(listener);
    }

    private void ListenTcp(string host, int port, string option)
    {
        var address = ResolveListenAddress(host, option, port);
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(new IPEndPoint(address, port));
            listener.Listen(16);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new ConfigurationException($"Failed to bind socket: {e.Message}", $"{option} tcp:{host}:{port}");
        }
        _listener = listener;
        _ = AcceptLoopAsync(listener);
    }

    /// <summary>No host means loopback: a management socket is never exposed to the network by default.</summary>
    private static IPAddress ResolveListenAddress(string host, string option, int port)
    {
        if (host.Length == 0 || host == "localhost")
            return IPAddress.Loopback;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
            return address;
        try
        {
            return Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? Dns.GetHostAddresses(host)[0];
        }
        catch (SocketException e)
        {
            throw new ConfigurationException($"address resolution failed for {host}:{port}: {e.Message}", $"{option} tcp:{host}:{port}");
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await listener.AcceptAsync(_stop.Token);
                if (_clients.Count >= MaxClients)
                {
                    _logger.LogWarning("{Protocol}: more than {Max} clients; closing the new connection", _protocol, MaxClients);
                    client.Dispose();
                    continue;
                }
                _ = ServeClient(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private Task ServeClient(Socket client)
    {
        var task = OnOwnThread(() =>
        {
            using var stream = new NetworkStream(client, ownsSocket: true);
            try
            {
                _serve(stream, stream, _stop.Token);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                _logger.LogDebug("{Protocol} client dropped: {Reason}", _protocol, e.Message);
            }
            finally
            {
                _clients.TryRemove(client, out _);
            }
        });
        _clients[client] = task;
        return task;
    }

    private static Task OnOwnThread(Action serve) => Task.Factory.StartNew(serve, TaskCreationOptions.LongRunning);

    /// <summary>Stops accepting, lets each session finish the command it is executing, then closes the connections.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _listener?.Dispose();
        if (_socketPath is not null)
            File.Delete(_socketPath);
        foreach (var client in _clients.Keys)
        {
            try
            {
                client.Shutdown(SocketShutdown.Receive); // ends the session's blocking read
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                // The session ended on its own meanwhile.
            }
        }
        Task.WaitAll([.. _clients.Values], TimeSpan.FromSeconds(2));
        foreach (var client in _clients.Keys)
            client.Dispose();
        _stopped.TrySetResult();
    }
}
