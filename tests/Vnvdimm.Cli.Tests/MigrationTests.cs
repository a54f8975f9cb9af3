using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vnvdimm.Guest;
using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Ndctl;
using Vnvdimm.Guest.Transport;
using Vnvdimm.Testing;

namespace Vnvdimm.Cli.Tests;

/// <summary>Live migration between two vnvdimm processes, and what happens when it goes wrong.</summary>
public sealed class MigrationTests
{
    private const int SizeMiB = 64;

    /// <summary>The unit of the source's dirty log: a write re-sends the whole granule.</summary>
    private const ulong Granule = Vnvdimm.HostMemory.HostMapping.DirtyGranule;

    private sealed class Node : IDisposable
    {
        public required Process Process { get; init; }
        public required string Qmp { get; init; }
        public required string Qtest { get; init; }
        public required string Image { get; init; }

        public void Dispose()
        {
            TestMachines.Stop(Process);
            Process.Dispose();
        }
    }

    private static Node Start(TempFolder dir, string name, string? incoming = null, string labelSize = "128K") =>
        StartWith(dir, name, incoming, "", labelSize);

    private static Node StartWith(TempFolder dir, string name, string? incoming, string backendExtra, string labelSize = "128K",
        params string[] extra)
    {
        string image = dir.File($"{name}.img");
        string[] args =
        [
            "-machine", "pc,nvdimm=on,nvdimm-persistence=cpu", "-m", "128M,slots=2,maxmem=4G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={image},size={SizeMiB}M{backendExtra}",
            "-device", $"nvdimm,id=nv0,memdev=m0,label-size={labelSize}",
            "-qmp", $"unix:{dir.File(name + ".qmp")},server=on,wait=off",
            "-qtest", $"unix:{dir.File(name + ".qtest")},server=on,wait=off",
            .. incoming is null ? Array.Empty<string>() : ["-incoming", incoming],
            .. extra,
        ];
        return new Node
        {
            Process = TestMachines.LaunchVnvdimm(args),
            Qmp = dir.File(name + ".qmp"),
            Qtest = dir.File(name + ".qtest"),
            Image = image,
        };
    }

    private static QtestClient Qtest(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        for (int i = 0; ; i++)
        {
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(path));
                break;
            }
            catch (SocketException) when (i < 500)
            {
                Thread.Sleep(20);
            }
        }
        var stream = new NetworkStream(socket, ownsSocket: true);
        return new QtestClient(stream, stream);
    }

    private static void FillRandom(string image, long offset, int length)
    {
        using var f = new FileStream(image, FileMode.OpenOrCreate);
        if (f.Length < (long)SizeMiB << 20)
            f.SetLength((long)SizeMiB << 20);
        f.Position = offset;
        f.Write(RandomNumberGenerator.GetBytes(length));
    }

    private static JsonNode WaitFor(QmpClient qmp, params string[] statuses)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            var info = qmp.Execute("{\"execute\":\"query-migrate\"}")["return"]!;
            if (statuses.Contains(info["status"]?.GetValue<string>()))
                return info;
            Thread.Sleep(20);
        }
        throw new TimeoutException("migration did not finish");
    }

    /// <summary>Waits until the running migration has put <paramref name="bytes"/> on the wire.</summary>
    private static void WaitTransferred(QmpClient qmp, long bytes)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(60); ; Thread.Sleep(5))
        {
            var info = qmp.Execute("{\"execute\":\"query-migrate\"}")["return"]!;
            Assert.True(info["status"]?.GetValue<string>() is "setup" or "active", $"the migration ended early: {info.ToJsonString()}");
            if (info["ram"]?["transferred"]?.GetValue<long>() >= bytes)
                return;
            Assert.True(DateTime.UtcNow < deadline, "the migration did not progress");
        }
    }

    private static void Migrate(QmpClient qmp, string socketPath) =>
        Assert.NotNull(qmp.Execute($"{{\"execute\":\"migrate\",\"arguments\":{{\"uri\":\"unix:{socketPath}\"}}}}")["return"]);

    /// <summary>Migrates over mig.sock with x-ignore-shared and no bandwidth limit; returns the source's last query-migrate.</summary>
    private static JsonNode MigrateIgnoringShared(TempFolder dir, Node source, Node destination)
    {
        using var qmp = QmpClient.ConnectUnix(source.Qmp);
        WaitUp(destination);
        IgnoreShared(qmp);
        Unlimited(qmp);
        Migrate(qmp, dir.File("mig.sock"));
        return WaitFor(qmp, "completed", "failed");
    }

    private static void IgnoreShared(QmpClient qmp) =>
        qmp.Execute("{\"execute\":\"migrate-set-capabilities\",\"arguments\":" +
            "{\"capabilities\":[{\"capability\":\"x-ignore-shared\",\"state\":true}]}}");

    /// <summary>Both machines' images are the one shared.img, as on shared storage.</summary>
    private static void ShareOneFile(TempFolder dir)
    {
        File.CreateSymbolicLink(dir.File("dst.img"), dir.File("shared.img"));
        File.CreateSymbolicLink(dir.File("src.img"), dir.File("shared.img"));
    }

    private static void Unlimited(QmpClient qmp) =>
        qmp.Execute("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":0}}");

    private static string RunState(QmpClient qmp) =>
        qmp.Execute("{\"execute\":\"query-status\"}")["return"]!["status"]!.GetValue<string>();

    /// <summary>Returns once the node's QMP socket answers: the machine is built and listening.</summary>
    private static void WaitUp(Node node)
    {
        using (QmpClient.ConnectUnix(node.Qmp))
        {
        }
    }

    /// <summary>An unthrottled migration that must complete with the destination's file equal to the source's.</summary>
    private static void MigrateCompletely(QmpClient qmp, string socketPath, Node source, Node destination)
    {
        Unlimited(qmp);
        Migrate(qmp, socketPath);
        Assert.Equal("completed", WaitFor(qmp, "completed", "failed")["status"]!.GetValue<string>());
        Assert.Equal(Hash(source.Image), Hash(destination.Image));
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static string Listing(NvdimmGuest guest) => JsonSerializer.Serialize(NdctlListing.From(guest), NdctlJsonContext.Default.NdctlListing);

    [Fact]
    public void Migration_carries_content_labels_and_the_writes_made_during_it()
    {
        using var dir = new TempFolder();
        FillRandom(dir.File("src.img"), 1 << 20, 24 << 20);
        using var destination = Start(dir, "dst", incoming: $"unix:{dir.File("mig.sock")}");
        using var source = Start(dir, "src");
        using var qmp = QmpClient.ConnectUnix(source.Qmp);
        using var guest = Qtest(source.Qtest);

        // Labels through the DSM, so that the label area and guest RAM (the loader's tables) have content.
        var view = NvdimmGuest.Boot(guest);
        var region = view.Topology!.Regions[0];
        var labels = view.Labels(region.Mappings[0].Dimm)!;
        labels.Initialize(LabelVersion.V1_2);
        labels.Create(new NamespaceRequest(16 << 20, "migrated", Guid.NewGuid()),
            region.Mappings[0].Size, region.Alignment, region.Cookie2, region.Spa.RangeType);
        string sourceView = Listing(view);

        qmp.Execute("{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[{\"capability\":\"events\",\"state\":true}]}}");
        qmp.Execute("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":16777216}}"); // ~2 s: time to write meanwhile
        Migrate(qmp, dir.File("mig.sock"));

        // The first pass sends guest RAM (a few written pages), then the NVDIMM's file from its start: its
        // first MiB, a hole, as a zero range, then the 24 MiB of data. Once 4 MiB are on the wire it is in
        // that data, so writes into the first MiB land behind it: only a re-send can carry them.
        var behind = new List<(ulong Address, byte[] Data)>();
        WaitTransferred(qmp, 4 << 20);
        for (int i = 0; i < 4; i++)
        {
            var data = RandomNumberGenerator.GetBytes(512);
            ulong address = region.Spa.Base + (ulong)(i * 3 + 1) * Granule + 512;
            guest.WriteMemory(address, data);
            behind.Add((address, data));
        }
        // And writes across the NVDIMM while the pass goes on: behind it and ahead of it.
        var written = new List<(ulong Address, byte[] Data)>(behind);
        for (int i = 0; i < 20; i++)
        {
            var data = RandomNumberGenerator.GetBytes(512);
            ulong address = region.Spa.Base + (ulong)(i * 3 + 1) * (1UL << 20) + 4096;
            guest.WriteMemory(address, data);
            written.Add((address, data));
            Thread.Sleep(10);
        }
        // Every write was made during the first pass (the final bitmap sync, the second, had not happened).
        var during = qmp.Execute("{\"execute\":\"query-migrate\"}")["return"]!;
        Assert.True(during["status"]!.GetValue<string>() == "active" && during["ram"]!["dirty-sync-count"]!.GetValue<int>() == 1,
            during.ToJsonString());

        var info = WaitFor(qmp, "completed", "failed");
        Assert.Equal("completed", info["status"]!.GetValue<string>());
        // The first pass counts every page of every region once, as data (normal) or zero (duplicate):
        // pages counted beyond that were sent again, and each written 64 KiB granule must have been.
        var ram = info["ram"]!;
        long pageSize = ram["page-size"]!.GetValue<long>();
        long resent = (ram["normal"]!.GetValue<long>() + ram["duplicate"]!.GetValue<long>()) * pageSize - ram["total"]!.GetValue<long>();
        long granules = written.Select(w => w.Address / Granule).Distinct().Count();
        Assert.True(resent >= granules * (long)Granule,
            $"{resent} bytes sent again for {granules} written granules of {Granule} bytes: {info.ToJsonString()}");
        Assert.Equal("postmigrate", RunState(qmp));
        Assert.Equal(["setup", "active", "completed"],
            qmp.Events.Where(e => e["event"]!.GetValue<string>() == "MIGRATION").Select(e => e["data"]!["status"]!.GetValue<string>()));

        using var arrived = Qtest(destination.Qtest);
        foreach (var (address, data) in written)
            Assert.True(data.AsSpan().SequenceEqual(arrived.ReadMemory(address, data.Length)),
                $"the write at 0x{address:x}{(behind.Contains((address, data)) ? ", behind the first pass," : "")} did not reach the destination");
        Assert.Equal(Hash(source.Image), Hash(destination.Image));
        using var destinationQmp = QmpClient.ConnectUnix(destination.Qmp);
        Assert.Equal("running", RunState(destinationQmp));
        Assert.Equal(sourceView, Listing(NvdimmGuest.Boot(arrived)));
    }

    [Fact]
    public void A_mismatching_destination_refuses_and_the_source_keeps_running()
    {
        using var dir = new TempFolder();
        using var destination = Start(dir, "dst", incoming: $"unix:{dir.File("mig.sock")}", labelSize: "256K");
        using var source = Start(dir, "src");
        using var qmp = QmpClient.ConnectUnix(source.Qmp);
        WaitUp(destination);
        Migrate(qmp, dir.File("mig.sock"));
        var info = WaitFor(qmp, "completed", "failed");
        Assert.Equal("failed", info["status"]!.GetValue<string>());
        Assert.Contains("label-size=262144", info["error-desc"]!.GetValue<string>());
        Assert.Equal("running", RunState(qmp));
        Assert.True(destination.Process.WaitForExit(10_000));
        Assert.Equal(1, destination.Process.ExitCode);
    }

    [Fact]
    public void A_killed_destination_fails_the_migration_and_the_source_can_migrate_again()
    {
        using var dir = new TempFolder();
        FillRandom(dir.File("src.img"), 0, 40 << 20);
        using var source = Start(dir, "src");
        using var qmp = QmpClient.ConnectUnix(source.Qmp);
        qmp.Execute("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":10485760}}");
        using (var doomed = Start(dir, "dst1", incoming: $"unix:{dir.File("mig1.sock")}"))
        {
            WaitUp(doomed);
            Migrate(qmp, dir.File("mig1.sock"));
            Thread.Sleep(700);
            doomed.Process.Kill();
            var info = WaitFor(qmp, "completed", "failed");
            Assert.Equal("failed", info["status"]!.GetValue<string>());
        }
        Assert.Equal("running", RunState(qmp));

        using var second = Start(dir, "dst2", incoming: $"unix:{dir.File("mig2.sock")}");
        WaitUp(second);
        MigrateCompletely(qmp, dir.File("mig2.sock"), source, second);
    }

    [Fact]
    public void A_corrupted_chunk_is_caught_and_never_reported_completed()
    {
        using var dir = new TempFolder();
        FillRandom(dir.File("src.img"), 0, 8 << 20);
        using var destination = Start(dir, "dst", incoming: $"unix:{dir.File("mig.sock")}");
        using var source = Start(dir, "src");
        using var qmp = QmpClient.ConnectUnix(source.Qmp);
        WaitUp(destination);
        using var proxy = CorruptingProxy.Start(dir.File("proxy.sock"), dir.File("mig.sock"), flipAt: 3 << 20);
        Migrate(qmp, dir.File("proxy.sock"));
        var info = WaitFor(qmp, "completed", "failed");
        Assert.Equal("failed", info["status"]!.GetValue<string>());
        Assert.Contains("checksum", info["error-desc"]!.GetValue<string>());
        Assert.True(destination.Process.WaitForExit(10_000));
        Assert.Equal(1, destination.Process.ExitCode);
        Assert.Equal("running", RunState(qmp));
    }

    [Fact]
    public void X_ignore_shared_skips_the_content_of_a_file_both_sides_share()
    {
        using var dir = new TempFolder();
        FillRandom(dir.File("shared.img"), 0, 32 << 20);
        string before = Hash(dir.File("shared.img"));
        ShareOneFile(dir);
        using var destination = Start(dir, "dst", incoming: $"unix:{dir.File("mig.sock")}");
        using var source = Start(dir, "src");
        var info = MigrateIgnoringShared(dir, source, destination);
        Assert.Equal("completed", info["status"]!.GetValue<string>());
        Assert.True(info["ram"]!["transferred"]!.GetValue<long>() < 1 << 20, info.ToJsonString()); // RAM zeros only, no 32 MiB of content
        Assert.Equal(before, Hash(dir.File("shared.img")));
    }

    [Fact]
    public void X_ignore_shared_numbers_the_regions_alike_when_a_shared_file_comes_before_a_backend_that_travels()
    {
        using var dir = new TempFolder();
        FillRandom(dir.File("shared.img"), 0, 4 << 20);
        ShareOneFile(dir);
        // m0 (shared, left out) sorts before r1 (RAM, sent): r1 must be region 1 on both sides, not 2 on the source.
        string[] ram = ["-object", "memory-backend-ram,id=r1,size=8M"];
        using var destination = StartWith(dir, "dst", $"unix:{dir.File("mig.sock")}", "", "128K", ram);
        using var source = StartWith(dir, "src", null, "", "128K", ram);
        var info = MigrateIgnoringShared(dir, source, destination);
        Assert.Equal("completed", info["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(false, "running")]
    [InlineData(true, "paused")]
    public void The_destination_takes_over_the_run_state_the_source_had(bool stopFirst, string expected)
    {
        using var dir = new TempFolder();
        using var destination = Start(dir, "dst", incoming: $"unix:{dir.File("mig.sock")}");
        using var source = Start(dir, "src");
        using var qmp = QmpClient.ConnectUnix(source.Qmp);
        using var destinationQmp = QmpClient.ConnectUnix(destination.Qmp);
        if (stopFirst)
            qmp.Execute("{\"execute\":\"stop\"}");
        MigrateCompletely(qmp, dir.File("mig.sock"), source, destination);
        // QEMU's rule (the "globalstate" section): a running source's guest runs on; a paused one stays paused, even without -S.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (RunState(destinationQmp) == "inmigrate" && DateTime.UtcNow < deadline)
            Thread.Sleep(20);
        Assert.Equal(expected, RunState(destinationQmp));
    }

    [Theory]
    [InlineData(20)]        // inside the start
    [InlineData(5000)]      // inside the description or the first records
    [InlineData(3 << 20)]   // in the middle of the data
    public void A_connection_cut_anywhere_fails_both_sides_and_the_source_runs_on(long cutAt)
    {
        using var dir = new TempFolder();
        FillRandom(dir.File("src.img"), 0, 8 << 20);
        using var destination = Start(dir, "dst", incoming: $"unix:{dir.File("mig.sock")}");
        using var source = Start(dir, "src");
        using var qmp = QmpClient.ConnectUnix(source.Qmp);
        WaitUp(destination);
        using var proxy = CorruptingProxy.Start(dir.File("proxy.sock"), dir.File("mig.sock"), flipAt: -1, cutAt: cutAt);
        Migrate(qmp, dir.File("proxy.sock"));
        Assert.Equal("failed", WaitFor(qmp, "completed", "failed")["status"]!.GetValue<string>());
        Assert.True(destination.Process.WaitForExit(10_000));
        Assert.Equal(1, destination.Process.ExitCode);
        Assert.Equal("running", RunState(qmp));
    }

    [Fact]
    public void A_source_whose_guest_migrated_away_refuses_a_second_migration_until_continued()
    {
        using var dir = new TempFolder();
        using var destination = Start(dir, "dst", incoming: $"unix:{dir.File("mig.sock")}");
        using var source = Start(dir, "src");
        using var qmp = QmpClient.ConnectUnix(source.Qmp);
        WaitUp(destination);
        MigrateCompletely(qmp, dir.File("mig.sock"), source, destination);
        Assert.Equal("postmigrate", RunState(qmp));
        // A second copy would be a stale twin of the guest now running on the destination: QEMU's refusal.
        var again = qmp.Execute($"{{\"execute\":\"migrate\",\"arguments\":{{\"uri\":\"unix:{dir.File("other.sock")}\"}}}}");
        Assert.Equal("Can't migrate the vm that was paused due to previous migration", again["error"]!["desc"]!.GetValue<string>());
        Assert.Equal("postmigrate", RunState(qmp));
    }

    [Fact]
    public void Deferred_incoming_starts_on_migrate_incoming_and_cancel_leaves_the_source_running()
    {
        using var dir = new TempFolder();
        FillRandom(dir.File("src.img"), 0, 16 << 20);
        using var destination = Start(dir, "dst", incoming: "defer");
        using var source = Start(dir, "src");
        using var qmp = QmpClient.ConnectUnix(source.Qmp);
        using var destinationQmp = QmpClient.ConnectUnix(destination.Qmp);
        Assert.Equal("inmigrate", RunState(destinationQmp));

        // A slow migration, cancelled half-way: the source runs on.
        using (var doomed = Start(dir, "dst0", incoming: $"unix:{dir.File("mig0.sock")}"))
        {
            WaitUp(doomed);
            qmp.Execute("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":4194304}}");
            Migrate(qmp, dir.File("mig0.sock"));
            Thread.Sleep(500);
            Assert.Equal("There's a migration process in progress",
                qmp.Execute("{\"execute\":\"migrate\",\"arguments\":" +
                    $"{{\"uri\":\"unix:{dir.File("mig0.sock")}\"}}}}")["error"]!["desc"]!.GetValue<string>());
            qmp.Execute("{\"execute\":\"migrate_cancel\"}");
            Assert.Equal("cancelled", WaitFor(qmp, "cancelled", "failed", "completed")["status"]!.GetValue<string>());
            Assert.Equal("running", RunState(qmp));
        }

        Assert.NotNull(destinationQmp.Execute("{\"execute\":\"migrate-incoming\",\"arguments\":" +
            $"{{\"uri\":\"unix:{dir.File("mig.sock")}\"}}}}")["return"]);
        Assert.Equal("The incoming migration has already been started",
            destinationQmp.Execute("{\"execute\":\"migrate-incoming\",\"arguments\":" +
                $"{{\"uri\":\"unix:{dir.File("mig.sock")}\"}}}}")["error"]!["desc"]!.GetValue<string>());
        MigrateCompletely(qmp, dir.File("mig.sock"), source, destination);
    }

    // That the chunks go through libpmem before the destination confirms is DurabilityTraceTests' to see.
    [Fact]
    public void A_pmem_destination_completes_with_the_source_content()
    {
        using var dir = new TempFolder();
        FillRandom(dir.File("src.img"), 0, 4 << 20);
        FillRandom(dir.File("dst.img"), 0, 1);
        using var destination = StartWith(dir, "dst", $"unix:{dir.File("mig.sock")}", ",pmem=on");
        using var source = Start(dir, "src");
        using var qmp = QmpClient.ConnectUnix(source.Qmp);
        WaitUp(destination);
        MigrateCompletely(qmp, dir.File("mig.sock"), source, destination);
    }

    /// <summary>Forwards one connection, flipping one byte of the source's stream on the way.</summary>
    private sealed class CorruptingProxy : IDisposable
    {
        private readonly Socket _listener;

        private CorruptingProxy(Socket listener) => _listener = listener;

        /// <param name="flipAt">the byte of the source's stream to flip (-1: none)</param>
        /// <param name="cutAt">where to cut both directions (a connection that breaks)</param>
        public static CorruptingProxy Start(string listenPath, string targetPath, long flipAt, long cutAt = long.MaxValue)
        {
            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(listenPath));
            listener.Listen(1);
            var proxy = new CorruptingProxy(listener);
            new Thread(() =>
            {
                try
                {
                    using var client = listener.Accept();
                    using var target = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    target.Connect(new UnixDomainSocketEndPoint(targetPath));
                    var back = new Thread(() => Pump(target, client, -1, long.MaxValue)) { IsBackground = true };
                    back.Start();
                    Pump(client, target, flipAt, cutAt);
                    if (cutAt != long.MaxValue)
                    {
                        client.Dispose();
                        target.Dispose();
                    }
                    back.Join();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }
            }) { IsBackground = true }.Start();
            return proxy;
        }

        private static void Pump(Socket from, Socket to, long flipAt, long cutAt)
        {
            var buffer = new byte[65536];
            long seen = 0;
            try
            {
                int n;
                while ((n = from.Receive(buffer)) > 0)
                {
                    if (flipAt >= seen && flipAt < seen + n)
                        buffer[flipAt - seen] ^= 0x40;
                    if (cutAt < seen + n)
                    {
                        to.Send(buffer.AsSpan(0, (int)(cutAt - seen)));
                        return;
                    }
                    seen += n;
                    to.Send(buffer.AsSpan(0, n));
                }
                to.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
