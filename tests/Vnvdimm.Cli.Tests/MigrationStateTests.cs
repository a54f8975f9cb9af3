using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Vnvdimm.Testing;

namespace Vnvdimm.Cli.Tests;

/// <summary>
/// What a running migration forbids (QEMU 7.2's refusals of device changes, and ours of object-del),
/// and the run-state rules around it (cont/stop on a destination waiting for its migration).
/// </summary>
public sealed class MigrationStateTests
{
    private sealed class Node(Process process, string qmp, string image) : IDisposable
    {
        public string Image { get; } = image;
        public QmpClient Connect() => QmpClient.ConnectUnix(qmp);

        public void Dispose()
        {
            TestMachines.Stop(process);
            process.Dispose();
        }

        public bool WaitForExit(int ms) => process.WaitForExit(ms);
    }

    private static Node Start(TempFolder dir, string name, params string[] extra)
    {
        string image = dir.File($"{name}.img");
        string qmp = dir.File($"{name}.qmp");
        var process = TestMachines.LaunchVnvdimm([
            "-machine", "pc,nvdimm=on", "-m", "64M,slots=3,maxmem=4G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={image},size=32M",
            "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K",
            "-qmp", $"unix:{qmp},server=on,wait=off", .. extra]);
        var node = new Node(process, qmp, image);
        using (node.Connect())
        {
        }
        return node;
    }

    private static string Status(QmpClient qmp) => qmp.Execute("{\"execute\":\"query-status\"}")["return"]!["status"]!.GetValue<string>();

    private static string Error(JsonObject answer) => answer["error"]?["desc"]?.GetValue<string>() ?? $"no error: {answer.ToJsonString()}";

    private static string MigrationStatus(QmpClient qmp) =>
        qmp.Execute("{\"execute\":\"query-migrate\"}")["return"]!["status"]?.GetValue<string>() ?? "none";

    private static void WaitForMigration(QmpClient qmp, params string[] statuses)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!statuses.Contains(MigrationStatus(qmp)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the migration never reached {string.Join('/', statuses)}");
            Thread.Sleep(20);
        }
    }

    [Fact]
    public void Device_changes_are_refused_on_both_sides_while_a_migration_runs_and_allowed_after()
    {
        using var dir = new TempFolder();
        using var source = Start(dir, "src");
        using var destination = Start(dir, "dst", "-incoming", $"unix:{dir.File("mig.sock")}");
        using (var f = new FileStream(source.Image, FileMode.Open))
            f.Write(RandomNumberGenerator.GetBytes(24 << 20)); // random data: a throttled migration takes seconds
        using var src = source.Connect();
        using var dst = destination.Connect();
        string extra = dir.File("extra.img");

        Assert.NotNull(src.Execute("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":2097152}}")["return"]);
        Assert.NotNull(src.Execute($"{{\"execute\":\"migrate\",\"arguments\":{{\"uri\":\"unix:{dir.File("mig.sock")}\"}}}}")["return"]);
        WaitForMigration(src, "active");
        WaitForMigration(dst, "active");

        // object-add stays possible (nothing uses the new backend), everything that changes devices is refused.
        Assert.NotNull(src.Execute("{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-file\"," +
            $"\"id\":\"m1\",\"mem-path\":\"{extra}\",\"size\":16777216,\"share\":true}}}}")["return"]);
        Assert.Equal("device_add not allowed while migrating",
            Error(src.Execute("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvdimm\",\"id\":\"nv1\",\"memdev\":\"m1\"}}")));
        Assert.Equal("device_add not allowed while migrating",
            Error(dst.Execute("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvdimm\",\"id\":\"nv1\",\"memdev\":\"m0\"}}")));
        Assert.Equal("device_del not allowed while migrating", Error(src.Execute("{\"execute\":\"device_del\",\"arguments\":{\"id\":\"nv0\"}}")));
        Assert.Equal("Device 'nosuch' not found", Error(src.Execute("{\"execute\":\"device_del\",\"arguments\":{\"id\":\"nosuch\"}}")));
        Assert.Equal("object-del not allowed while migrating", Error(src.Execute("{\"execute\":\"object-del\",\"arguments\":{\"id\":\"m1\"}}")));
        Assert.Equal("Error: device_add not allowed while migrating\r\n", src.Execute(
            "{\"execute\":\"human-monitor-command\",\"arguments\":" +
                "{\"command-line\":\"device_add nvdimm,id=nv1,memdev=m1\"}}")["return"]!.GetValue<string>());
        Assert.Single(src.Execute("{\"execute\":\"query-memory-devices\"}")["return"]!.AsArray());

        Assert.NotNull(src.Execute("{\"execute\":\"migrate_cancel\"}")["return"]);
        WaitForMigration(src, "cancelled");
        Assert.True(destination.WaitForExit(10_000));
        Assert.Equal("running", Status(src));
        Assert.NotNull(src.Execute("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvdimm\",\"id\":\"nv1\",\"memdev\":\"m1\"}}")["return"]);
        Assert.Equal(2, src.Execute("{\"execute\":\"query-memory-devices\"}")["return"]!.AsArray().Count);
    }

    /// <summary>
    /// A destination that takes the whole stream and never confirms: the paused source gives up after its
    /// confirmation timeout (30 s), fails the migration with the reason, and its guest runs again.
    /// </summary>
    [Fact]
    public void A_destination_that_never_confirms_fails_the_migration_and_the_guest_runs_on()
    {
        using var dir = new TempFolder();
        using var source = Start(dir, "src");
        using var src = source.Connect();
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(dir.File("mute.sock")));
        listener.Listen(1);
        var swallow = Task.Run(() =>
        {
            using var peer = listener.Accept();
            var buffer = new byte[1 << 20];
            while (peer.Receive(buffer) > 0)
            {
            }
        });
        Assert.NotNull(src.Execute($"{{\"execute\":\"migrate\",\"arguments\":{{\"uri\":\"unix:{dir.File("mute.sock")}\"}}}}")["return"]);
        WaitForMigration(src, "failed", "completed");
        var info = src.Execute("{\"execute\":\"query-migrate\"}")["return"]!;
        Assert.Equal("failed", info["status"]!.GetValue<string>());
        Assert.Contains("did not confirm its copy within 30 s", info["error-desc"]!.GetValue<string>());
        Assert.Equal("running", Status(src));
    }

    /// <summary>
    /// ram.remaining falls while the data moves (it used to stay at the total through a written extent,
    /// then drop to 0): 8 MiB of data at 8 MiB/s, sampled as a client (or the prompt's progress bar) would.
    /// </summary>
    [Fact]
    public void Remaining_falls_as_the_data_moves()
    {
        using var dir = new TempFolder();
        using var source = Start(dir, "src");
        using var destination = Start(dir, "dst", "-incoming", $"unix:{dir.File("mig.sock")}");
        using var src = source.Connect();
        using (var f = new FileStream(source.Image, FileMode.Open))
            f.Write(RandomNumberGenerator.GetBytes(8 << 20)); // one extent of data, then holes
        Assert.NotNull(src.Execute($"{{\"execute\":\"migrate-set-parameters\",\"arguments\":{{\"max-bandwidth\":{8 << 20}}}}}")["return"]);
        Assert.NotNull(src.Execute($"{{\"execute\":\"migrate\",\"arguments\":{{\"uri\":\"unix:{dir.File("mig.sock")}\"}}}}")["return"]);

        var samples = new List<(ulong Remaining, ulong Total)>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var info = src.Execute("{\"execute\":\"query-migrate\"}")["return"]!;
            string status = info["status"]!.GetValue<string>();
            if (status is "completed" or "failed")
            {
                Assert.Equal("completed", status);
                break;
            }
            if (status == "active" && info["ram"] is JsonNode ram)
                samples.Add((ram["remaining"]!.GetValue<ulong>(), ram["total"]!.GetValue<ulong>()));
            Thread.Sleep(50);
        }
        var between = samples.Where(s => s.Remaining > 0 && s.Remaining < s.Total).Select(s => s.Remaining).Distinct().ToList();
        Assert.True(between.Count >= 3, $"remaining took {between.Count} values strictly between 0 and the total: {string.Join(", ", samples)}");
    }

    [Fact]
    public void Max_bandwidth_applies_to_a_running_migration_and_cancel_never_waits_for_the_throttle()
    {
        using var dir = new TempFolder();
        using var source = Start(dir, "src");
        using var first = Start(dir, "dst1", "-incoming", $"unix:{dir.File("mig1.sock")}");
        using var second = Start(dir, "dst2", "-incoming", $"unix:{dir.File("mig2.sock")}");
        using var src = source.Connect();
        using (var f = new FileStream(source.Image, FileMode.Open))
            f.Write(RandomNumberGenerator.GetBytes(4 << 20));

        // One byte a second: the throttle would sleep for days; cancel must not wait for it.
        Assert.NotNull(src.Execute("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":1}}")["return"]);
        Assert.NotNull(src.Execute($"{{\"execute\":\"migrate\",\"arguments\":{{\"uri\":\"unix:{dir.File("mig1.sock")}\"}}}}")["return"]);
        WaitForMigration(src, "active");
        Thread.Sleep(300);
        var clock = Stopwatch.StartNew();
        Assert.NotNull(src.Execute("{\"execute\":\"migrate_cancel\"}")["return"]);
        WaitForMigration(src, "cancelled");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"cancel took {clock.ElapsedMilliseconds} ms");

        // Started throttled to a crawl, then unthrottled while it runs: it completes.
        Assert.NotNull(src.Execute($"{{\"execute\":\"migrate\",\"arguments\":{{\"uri\":\"unix:{dir.File("mig2.sock")}\"}}}}")["return"]);
        WaitForMigration(src, "active");
        Thread.Sleep(300);
        Assert.NotNull(src.Execute("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":0}}")["return"]);
        WaitForMigration(src, "completed", "failed");
        Assert.Equal("completed", MigrationStatus(src));
    }

    [Fact]
    public void A_monitor_client_that_never_reads_does_not_hold_up_a_migration_or_the_guest()
    {
        using var dir = new TempFolder();
        using var source = Start(dir, "src", "-qtest", $"unix:{dir.File("src.qtest")},server=on,wait=off");
        using var destination = Start(dir, "dst", "-incoming", $"unix:{dir.File("mig.sock")}");
        using var src = source.Connect();
        Assert.NotNull(src.Execute("{\"execute\":\"migrate-set-capabilities\",\"arguments\":" +
            "{\"capabilities\":[{\"capability\":\"events\",\"state\":true}]}}")["return"]);
        // A negotiated client that reads nothing, with its socket buffers already full of answers.
        using var stalled = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        stalled.Connect(new UnixDomainSocketEndPoint(dir.File("src.qmp")));
        stalled.Send(System.Text.Encoding.ASCII.GetBytes(
            "{\"execute\":\"qmp_capabilities\"}\n" + string.Concat(Enumerable.Repeat("{\"execute\":\"query-commands\"}\n", 300))));

        Assert.NotNull(src.Execute("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":0}}")["return"]);
        Assert.NotNull(src.Execute($"{{\"execute\":\"migrate\",\"arguments\":{{\"uri\":\"unix:{dir.File("mig.sock")}\"}}}}")["return"]);
        using (var qtest = new NetworkStream(Connected(dir.File("src.qtest")), ownsSocket: true))
        {
            var client = new Vnvdimm.Guest.Transport.QtestClient(qtest, qtest);
            for (int i = 0; i < 200; i++)
                Assert.Equal("OK", client.Command("writeq 0x1000 0x1")); // the guest keeps being served meanwhile
        }
        WaitForMigration(src, "completed", "failed");
        Assert.Equal("completed", MigrationStatus(src));
        Assert.Contains(src.Events, e => e["event"]!.GetValue<string>() == "MIGRATION" && e["data"]!["status"]!.GetValue<string>() == "completed");
        Assert.Equal("postmigrate", Status(src));
    }

    private static Socket Connected(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    [Theory]
    [InlineData(false, "paused")]
    [InlineData(true, "running")]
    public void Cont_on_a_destination_waiting_for_its_migration_asks_it_to_run_once_the_migration_completes(bool cont, string after)
    {
        using var dir = new TempFolder();
        using var source = Start(dir, "src");
        using var destination = Start(dir, "dst", "-S", "-incoming", $"unix:{dir.File("mig.sock")}");
        using var src = source.Connect();
        using var dst = destination.Connect();
        Assert.Equal("inmigrate", Status(dst));
        if (cont)
        {
            Assert.NotNull(dst.Execute("{\"execute\":\"cont\"}")["return"]);
            Assert.Equal("inmigrate", Status(dst)); // as QEMU: only the autostart changes
            Assert.DoesNotContain(dst.Events, e => e["event"]!.GetValue<string>() == "RESUME");
        }
        Assert.NotNull(src.Execute("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":0}}")["return"]);
        Assert.NotNull(src.Execute($"{{\"execute\":\"migrate\",\"arguments\":{{\"uri\":\"unix:{dir.File("mig.sock")}\"}}}}")["return"]);
        WaitForMigration(src, "completed", "failed");
        Assert.Equal("completed", MigrationStatus(src));
        Assert.Equal("postmigrate", Status(src));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Status(dst) == "inmigrate" && DateTime.UtcNow < deadline)
            Thread.Sleep(20);
        Assert.Equal(after, Status(dst));
    }
}
