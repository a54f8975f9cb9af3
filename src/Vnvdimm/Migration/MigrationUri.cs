using System.Net;
using System.Net.Sockets;
using Vnvdimm.Options;

namespace Vnvdimm.Migration;

/// <summary>A migration address: <c>tcp:HOST:PORT</c> or <c>unix:PATH</c>, as QEMU spells them.</summary>
public sealed record MigrationUri(string Text, SocketUri Address)
{
    public EndPoint EndPoint => Address.EndPoint;

    public static MigrationUri Parse(string uri, string? option = null)
    {
        SocketUri? address;
        try
        {
            address = SocketUri.TryParse(uri);
        }
        catch (Exception e) when (e is FormatException or PathTooLongException)
        {
            throw new ConfigurationException(e.Message, option);
        }
        return address is null
            ? throw new ConfigurationException($"unknown migration protocol: {uri} ({OnlySockets})", option)
            : new MigrationUri(uri, address);
    }

    /// <summary>Said with a protocol QEMU would take: vnvdimm's fewer ones.</summary>
    public const string OnlySockets = "vnvdimm migrates over tcp:HOST:PORT or unix:PATH";

    /// <summary>Protocols QEMU 7.2 migrates over that vnvdimm does not: named as such, not as nonsense.</summary>
    public static readonly IReadOnlyList<string> QemuProtocols = ["exec:", "fd:", "rdma:"];

    /// <summary>Whether the address names no protocol vnvdimm knows (as opposed to a known one spelled wrong).</summary>
    public static bool HasUnknownProtocol(string uri) =>
        !uri.StartsWith("tcp:", StringComparison.Ordinal) && !uri.StartsWith("unix:", StringComparison.Ordinal);

    public Socket NewSocket() => Address.NewSocket();
}
