namespace Vnvdimm.Chardev;

/// <summary>
/// One client of an endpoint as a session sees it: what it reads, where it writes, how to hang up on
/// it (which also ends a read blocked on it), and a name for the log.
/// </summary>
public sealed record ClientConnection(Stream Input, Stream Output, Action HangUp, string Name)
{
    /// <summary>The socket, for a socket client (null for standard I/O): lets a session look for input without blocking.</summary>
    public System.Net.Sockets.Socket? Socket { get; init; }
}
