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
            ? throw new ConfigurationException($"unknown migration protocol: {uri} (vnvdimm migrates over tcp:HOST:PORT or unix:PATH)", option)
            : new MigrationUri(uri, address);
    }

    public Socket NewSocket() => Address.NewSocket();
}
