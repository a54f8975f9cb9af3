namespace Vnvdimm.Migration;

/// <summary>query-migrate's "ram" member, QEMU's names: guest RAM and every backend (NVDIMM content and labels) count.</summary>
public sealed record MigrationRamInfo(ulong Transferred, ulong Remaining, ulong Total, ulong Duplicate, ulong Skipped, ulong Normal,
    ulong NormalBytes, double Mbps, ulong DirtySyncCount, ulong PageSize);

/// <summary>What query-migrate answers (times in milliseconds).</summary>
/// <remarks><c>x-flush-time</c> (a vnvdimm extension, on the destination): from the last byte received to durable.</remarks>
/// <c>socket-address</c>: where a destination listens, until its incoming migration is done (QEMU's members, in its order).
public sealed record MigrationInfo(MigrationStatus Status, long? TotalTime, long? Downtime, long? SetupTime, MigrationRamInfo? Ram, string? ErrorDesc,
    [property: System.Text.Json.Serialization.JsonPropertyName("x-flush-time")] long? FlushTime = null,
    IReadOnlyList<MigrationSocketAddress>? SocketAddress = null);

/// <summary>
/// A listening address as QEMU's query-migrate shows it: inet with the port as a string, <c>ipv4</c>/<c>ipv6</c> true and
/// the numeric host, or unix with its path; members in the order QEMU prints them.
/// </summary>
public sealed record MigrationSocketAddress(
    [property: System.Text.Json.Serialization.JsonPropertyName("port")] string? Port,
    [property: System.Text.Json.Serialization.JsonPropertyName("ipv4")] bool? Ipv4,
    [property: System.Text.Json.Serialization.JsonPropertyName("ipv6")] bool? Ipv6,
    [property: System.Text.Json.Serialization.JsonPropertyName("host")] string? Host,
    [property: System.Text.Json.Serialization.JsonPropertyName("path")] string? Path,
    [property: System.Text.Json.Serialization.JsonPropertyName("type")] string Type)
{
    /// <summary>The address a listener bound for <paramref name="uri"/> (the port the system chose for port 0).</summary>
    public static MigrationSocketAddress Of(MigrationUri uri, System.Net.EndPoint? bound)
    {
        if (uri.Address is not Options.SocketUri.Inet || bound is not System.Net.IPEndPoint ip)
            return new MigrationSocketAddress(null, null, null, null, ((Options.SocketUri.Unix)uri.Address).Path, "unix");
        // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d: QEMU shows the IPv4 address.
        var address = ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address;
        bool v4 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        return new MigrationSocketAddress($"{ip.Port}", v4 ? true : null, v4 ? null : true, address.ToString(), null, "inet");
    }
}

/// <summary>Counters of one migration, updated by its thread and read by query-migrate.</summary>
public sealed class MigrationProgress
{
    public const ulong PageSize = 4096;
    private long _transferred, _remaining, _duplicatePages, _normalPages, _passes;

    public ulong Total { get; init; }
    public long Transferred => Interlocked.Read(ref _transferred);

    public void Sent(long wireBytes) => Interlocked.Add(ref _transferred, wireBytes);
    public void DataPages(ulong bytes) => Interlocked.Add(ref _normalPages, (long)((bytes + PageSize - 1) / PageSize));
    public void ZeroPages(ulong bytes) => Interlocked.Add(ref _duplicatePages, (long)(bytes / PageSize));
    public void SetRemaining(ulong bytes) => Interlocked.Exchange(ref _remaining, (long)bytes);
    public void Pass() => Interlocked.Increment(ref _passes);

    public MigrationRamInfo Snapshot(TimeSpan elapsed)
    {
        ulong transferred = (ulong)Transferred;
        double mbps = elapsed.TotalSeconds > 0 ? transferred * 8 / 1e6 / elapsed.TotalSeconds : 0;
        ulong normal = (ulong)Interlocked.Read(ref _normalPages);
        return new MigrationRamInfo(transferred, (ulong)Interlocked.Read(ref _remaining), Total, (ulong)Interlocked.Read(ref _duplicatePages), 0,
            normal, normal * PageSize, Math.Round(mbps, 3), (ulong)Interlocked.Read(ref _passes), PageSize);
    }
}
