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
    /// <summary>
    /// Clients served at once per listening socket; a further connection is closed at once, so a
    /// runaway client cannot exhaust threads. A client counts from its accept until its session's
    /// thread has ended, whatever ended it.
    /// </summary>
    public const int MaxClients = 64;

    /// <summary>How long a stopping server lets sessions finish their command and send what they queued.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(0.5);

    private readonly Action<ClientConnection, CancellationToken> _serve;
    private readonly ILogger _logger;
    private readonly string _protocol;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _lock = new();
    private readonly Dictionary<Socket, Task> _clients = [];
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? _listener;
    private string? _socketPath;
    private int _served;

    private EndpointServer(Action<ClientConnection, CancellationToken> serve, ILogger logger, string protocol)
    {
        _serve = serve;
        _logger = logger;
        _protocol = protocol;
    }

    /// <summary>Ends when a stdio or client-mode connection closes; a listener ends only when disposed.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <param name="option">The command-line option ("-qmp"), for error messages.</param>
    public static EndpointServer Start(EndpointOptions endpoint, string option, Action<ClientConnection, CancellationToken> serve, ILogger logger)
    {
        var server = new EndpointServer(serve, logger, option.TrimStart('-'));
        switch (endpoint.Kind)
        {
            case EndpointKind.Stdio:
                var input = Console.OpenStandardInput();
                var output = Console.OpenStandardOutput();
                var stdio = new ClientConnection(input, output, () => output.Dispose(), $"{server._protocol} stdio");
                server.Completion = OnOwnThread(() => server.ServeGuarded(stdio));
                break;
            case EndpointKind.Client:
                server.Completion = server.ServeClient(Connect(endpoint, option)) ?? Task.CompletedTask;
                break;
            case EndpointKind.Server when endpoint.Address is SocketUri.Unix unix:
                server.ListenUnix(unix.Path, endpoint.Source ?? $"{option} {unix}");
                server.Completion = server._stopped.Task;
                break;
            case EndpointKind.Server:
                server.ListenTcp((SocketUri.Inet)endpoint.Address!, endpoint.Source ?? $"{option} {endpoint.Address}");
                server.Completion = server._stopped.Task;
                break;
        }
        return server;
    }

    /// <summary>Connects a client-mode endpoint (a harness listening for the machine, as libqtest does).</summary>
    private static Socket Connect(EndpointOptions endpoint, string option)
    {
        var address = endpoint.Address!;
        var socket = address.NewSocket();
        try
        {
            socket.Connect(address.EndPoint);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ConfigurationException(
                $"Failed to connect to '{address.Target}': {address.ConnectFailure(e)}", endpoint.Source ?? $"{option} {address}");
        }
    }

    private void ListenUnix(string path, string location)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            // Nobody else may drive the machine.
            PrivateUnixSocket.Bind(listener, path);
            listener.Listen(16);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            listener.Dispose();
            throw new ConfigurationException(
                $"Failed to bind socket to {path}: {Reason(e, path, p => Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(p))))}",
                location);
        }
        _socketPath = path;
        _listener = listener;
        _ = AcceptLoopAsync(listener);
    }

    private void ListenTcp(SocketUri.Inet address, string location)
    {
        IPEndPoint endPoint;
        try
        {
            endPoint = address.ListenEndPoint(); // no host means loopback: never exposed to the network by default
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            throw new ConfigurationException($"address resolution failed for {address.Host}:{address.Port}: {e.Message}", location);
        }
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(endPoint);
            listener.Listen(16);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new ConfigurationException($"Failed to bind socket: {e.Message}", location);
        }
        _listener = listener;
        _ = AcceptLoopAsync(listener);
    }

    /// <summary>
    /// .NET names a missing socket or folder "Cannot assign requested address"; QEMU, and scripts, say "No such file or directory".
    /// </summary>
    private static string Reason(Exception e, string path, Func<string, bool> exists) =>
        e is SocketException && !exists(path) ? "No such file or directory" : e.Message;

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // A connection that died in the backlog, or no descriptors left for a moment: keep accepting.
                _logger.LogDebug("{Protocol}: accept failed: {Reason}", _protocol, e.Message);
                await Task.Delay(10);
                continue;
            }
            if (ServeClient(client) is null)
            {
                _logger.LogWarning("{Protocol}: {Max} clients are connected; closing the new connection", _protocol, MaxClients);
                client.Dispose();
            }
        }
    }

    /// <summary>
    /// Serves a connected client on its own thread; null when <see cref="MaxClients"/> are served already.
    /// The client is registered before its thread starts, so a session that ends at once cannot leave a stale entry.
    /// </summary>
    private Task? ServeClient(Socket socket)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task task;
        lock (_lock)
        {
            if (_clients.Count >= MaxClients || _stop.IsCancellationRequested)
                return null;
            _served++;
            string name = $"{_protocol} client {_served}";
            task = started.Task.ContinueWith(_ =>
            {
                try
                {
                    using var stream = new NetworkStream(socket, ownsSocket: true);
                    ServeGuarded(new ClientConnection(stream, stream, () => HangUp(socket), name) { Socket = socket });
                }
                finally
                {
                    lock (_lock)
                        _clients.Remove(socket);
                }
            }, CancellationToken.None, TaskContinuationOptions.LongRunning, TaskScheduler.Default);
            _clients[socket] = task;
        }
        started.SetResult();
        return task;
    }

    /// <summary>The root of every session's thread: nothing a session throws ends the process.</summary>
    private void ServeGuarded(ClientConnection client)
    {
        try
        {
            _serve(client, _stop.Token);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or OperationCanceledException)
        {
            _logger.LogDebug("{Client} dropped: {Reason}", client.Name, e.Message);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "{Client}: internal error; closing the connection", client.Name);
        }
    }

    private static void HangUp(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both); // ends a read or write blocked on it, in any thread
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            // Gone already.
        }
    }

    private static Task OnOwnThread(Action serve) => Task.Factory.StartNew(serve, TaskCreationOptions.LongRunning);

    /// <summary>
    /// Stops accepting, lets each session finish the command it is executing and send what it queued
    /// until <paramref name="deadline"/>, then hangs up on whoever is left (a client that never reads).
    /// </summary>
    public void Stop(DateTime deadline)
    {
        _stop.Cancel();
        _listener?.Dispose();
        if (_socketPath is not null)
        {
            File.Delete(_socketPath);
            _socketPath = null;
        }
        KeyValuePair<Socket, Task>[] clients;
        lock (_lock)
            clients = [.. _clients];
        foreach (var (socket, _) in clients)
        {
            try
            {
                socket.Shutdown(SocketShutdown.Receive); // the session's read ends after its current command
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
            }
        }
        var left = deadline - DateTime.UtcNow;
        Task.WaitAll([.. clients.Select(c => c.Value)], left > TimeSpan.Zero ? left : TimeSpan.Zero);
        foreach (var (socket, _) in clients)
        {
            HangUp(socket);
            socket.Dispose();
        }
        _stopped.TrySetResult();
    }

    public void Dispose() => Stop(DateTime.UtcNow + StopGrace);
}
