using System.Net;
using System.Net.Sockets;
using Vnvdimm.Options;

namespace Vnvdimm.Migration;

/// <summary>A migration address: <c>tcp:HOST:PORT</c> or <c>unix:PATH</c>, as QEMU spells them.</summary>
public sealed record MigrationUri(string Text, EndPoint EndPoint)
{
    public static MigrationUri Parse(string uri, string? option = null)
    {
        if (uri.StartsWith("unix:", StringComparison.Ordinal) && uri.Length > 5)
            return new MigrationUri(uri, new UnixDomainSocketEndPoint(uri[5..]));
        if (uri.StartsWith("tcp:", StringComparison.Ordinal))
        {
            int colon = uri.LastIndexOf(':');
            string host = uri[4..colon].Trim('[', ']');
            if (colon > 4 && ushort.TryParse(uri[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ushort port))
                return new MigrationUri(uri, host.Length == 0 || host == "localhost" ? new IPEndPoint(IPAddress.Loopback, port)
                    : IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port));
        }
        throw new ConfigurationException($"Invalid migration URI '{uri}': use tcp:HOST:PORT or unix:PATH", option);
    }

    public Socket NewSocket() => EndPoint is UnixDomainSocketEndPoint
        ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        : new Socket(SocketType.Stream, ProtocolType.Tcp);
}
