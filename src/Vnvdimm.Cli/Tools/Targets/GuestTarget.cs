using System.Net.Sockets;
using Vnvdimm.Guest.Transport;
using Vnvdimm.Options;

namespace Vnvdimm.Cli.Tools.Targets;

/// <summary>
/// The machine a guest tool talks to: one already serving qtest on a socket (vnvdimm or QEMU started
/// with -qtest unix:PATH,server=on,wait=off or tcp:HOST:PORT,server=on,wait=off), or one the tool starts itself from the
/// options after "--" (vnvdimm, or QEMU with --qemu).
/// </summary>
public static class GuestTarget
{
    /// <param name="timeout">How long a running machine may take to answer one command: a socket that accepts and
    /// then says nothing (not a qtest socket, a wedged machine) fails the tool instead of hanging it.</param>
    public static QtestClient Open(string? socketPath, bool qemu, IReadOnlyList<string> machineArgs, TimeSpan timeout)
    {
        if (socketPath is not null)
        {
            // As -qtest spells it (unix:PATH, tcp:HOST:PORT) or a bare socket path.
            if (socketPath.Length == 0)
                throw new ToolException("--qtest: give the socket's path (unix:PATH or PATH) or tcp:HOST:PORT");
            SocketUri address;
            Socket socket;
            try
            {
                address = SocketUri.TryParse(socketPath) ?? new SocketUri.Unix(socketPath);
                socket = address.NewSocket();
                var endPoint = address.EndPoint;
                try
                {
                    socket.Connect(endPoint);
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    throw new ToolException($"cannot connect to the qtest socket {socketPath}: {address.ConnectFailure(e)}");
                }
            }
            catch (Exception e) when (e is FormatException or PathTooLongException)
            {
                throw new ToolException($"--qtest {socketPath}: {e.Message}");
            }
            catch (ArgumentException)
            {
                throw new ToolException($"--qtest {socketPath}: not a usable socket path (a unix socket's path holds at most 107 bytes)");
            }
            socket.ReceiveTimeout = (int)Math.Min(timeout.TotalMilliseconds, int.MaxValue);
            var stream = new NetworkStream(socket, ownsSocket: true);
            return new QtestClient(stream, stream) { CommandDeadline = timeout };
        }
        if (machineArgs.Count == 0)
            throw new ToolException("say which machine: --qtest PATH of a running one, or its options after \"--\"");
        if (qemu)
            return QtestClient.Spawn("qemu-system-x86_64", machineArgs);
        // This very program as the machine; under "dotnet vnvdimm-cli.dll" the host needs the dll first.
        string program = Environment.ProcessPath!;
        string[] prefix = Path.GetFileNameWithoutExtension(program) == "dotnet" ? [Environment.GetCommandLineArgs()[0]] : [];
        return QtestClient.Spawn(program, machineArgs, prefix);
    }
}
