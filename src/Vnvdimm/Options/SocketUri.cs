using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Vnvdimm.Options;

/// <summary>
/// A socket address as QEMU spells it: <c>unix:PATH</c> or <c>tcp:HOST:PORT</c> (HOST may be empty,
/// a name, an IPv4 address or a bracketed IPv6 one). The one parser behind -qmp, -monitor, -qtest,
/// -incoming and migrate, so that every one of them refuses the same malformed text the same way.
/// </summary>
public abstract record SocketUri
{
    /// <summary>The longest socket path: sun_path's 107 bytes less the ".PID.tmp" suffix a private socket is first bound under.</summary>
    public const int MaxUnixPath = 107 - 16;

    public sealed record Unix(string Path) : SocketUri
    {
        public override string ToString() => $"unix:{Path}";
    }

    /// <summary>An empty <paramref name="Host"/> means loopback here: nothing is exposed to the network by default.</summary>
    public sealed record Inet(string Host, ushort Port) : SocketUri
    {
        public override string ToString() => $"tcp:{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}";

        /// <summary>
        /// Where to listen: bind takes addresses only, so a host name is resolved here (IPv4 preferred).
        /// An unknown name, or one that resolves to nothing, throws a <see cref="SocketException"/>.
        /// </summary>
        public IPEndPoint ListenEndPoint()
        {
            if (EndPoint is IPEndPoint ip)
                return ip;
            var all = Dns.GetHostAddresses(Host);
            var address = all.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? all.FirstOrDefault()
                ?? throw new SocketException((int)SocketError.HostNotFound);
            return new IPEndPoint(address, Port);
        }
    }

    /// <summary>
    /// Parses <c>unix:PATH</c> or <c>tcp:HOST:PORT</c>; null when <paramref name="text"/> has neither prefix.
    /// A malformed address throws a <see cref="FormatException"/> whose message names the part that is wrong.
    /// </summary>
    public static SocketUri? TryParse(string text)
    {
        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            if (text.Length == 5)
                throw new FormatException("a unix socket needs a path");
            string path = text[5..];
            // sun_path holds 108 bytes with the terminating NUL; a private socket is bound under a longer temporary name first.
            if (System.Text.Encoding.UTF8.GetByteCount(path) > MaxUnixPath)
                throw new PathTooLongException($"UNIX socket path '{path}' is too long (at most {MaxUnixPath} bytes here)");
            return new Unix(path);
        }
        if (text.StartsWith("tcp:", StringComparison.Ordinal))
            return ParseInet(text[4..]);
        return null;
    }

    /// <summary>HOST:PORT, as QEMU's inet_parse reads it.</summary>
    public static Inet ParseInet(string text)
    {
        string host;
        string port;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']');
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
                throw new FormatException($"error parsing IPv6 address '{text}'");
            host = text[1..close];
            port = text[(close + 2)..];
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon < 0)
                throw new FormatException($"error parsing address '{text}'");
            host = text[..colon];
            port = text[(colon + 1)..];
        }
        if (port.Length == 0)
            throw new FormatException($"error parsing address '{text}'");
        if (!ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out ushort number))
            throw new FormatException($"address resolution failed for {host}:{port}: port must be a number from 0 to 65535");
        return new Inet(host, number);
    }

    /// <summary>Where to connect or bind: loopback for an empty host or "localhost", else the address or name.</summary>
    public EndPoint EndPoint => this switch
    {
        Unix unix => new UnixDomainSocketEndPoint(unix.Path),
        Inet { Host: "" or "localhost" } inet => new IPEndPoint(IPAddress.Loopback, inet.Port),
        Inet inet => IPAddress.TryParse(inet.Host, out var ip) ? new IPEndPoint(ip, inet.Port) : new DnsEndPoint(inet.Host, inet.Port),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>What QEMU names in "Failed to connect to '...'": the path, or host:port, without the protocol.</summary>
    public string Target => this switch
    {
        Unix unix => unix.Path,
        Inet inet => $"{inet.Host}:{inet.Port}",
        _ => ToString(),
    };

    /// <summary>
    /// Why a connection failed, as QEMU and scripts say it: .NET calls a missing Unix socket "Cannot
    /// assign requested address" where the system says "No such file or directory".
    /// </summary>
    public string ConnectFailure(SocketException e) =>
        this is Unix unix && !File.Exists(unix.Path) ? "No such file or directory"
        // The message alone: .NET appends the end point it tried ("Connection refused [::ffff:127.0.0.1]:1"),
        // which the caller names already.
        : new SocketException((int)e.SocketErrorCode).Message;

    public Socket NewSocket() => this is Unix
        ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        : new Socket(SocketType.Stream, ProtocolType.Tcp);
}
