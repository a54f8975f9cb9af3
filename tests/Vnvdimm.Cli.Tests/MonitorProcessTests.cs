using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Vnvdimm.Testing;

namespace Vnvdimm.Cli.Tests;

/// <summary>QMP and HMP endpoints of a running vnvdimm process, over real sockets.</summary>
public sealed class MonitorProcessTests
{
    private static string[] MachineArgs(TempFolder dir) =>
    [
        "-machine", "pc,nvdimm=on", "-m", "64M,slots=4,maxmem=4G",
        "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("nv0.img")},size=16M",
        "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K",
    ];

    [Fact]
    public void Qmp_on_a_unix_socket_is_private_hotplugs_and_quits_with_a_shutdown_event()
    {
        using var dir = new TempFolder();
        string socket = dir.File("qmp.sock");
        using var process = TestMachines.LaunchVnvdimm([.. MachineArgs(dir), "-qmp", $"unix:{socket},server=on,wait=off"]);
        try
        {
            using var qmp = QmpClient.ConnectUnix(socket);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));
            Assert.Equal(7, qmp.Greeting["QMP"]!["version"]!["qemu"]!["major"]!.GetValue<int>());

            string path = dir.File("nv1.img");
            Assert.NotNull(qmp.Execute($"{{\"execute\":\"object-add\",\"arguments\":{{\"qom-type\":\"memory-backend-file\",\"id\":\"m1\"," +
                $"\"mem-path\":\"{path}\",\"size\":16777216,\"share\":true}}}}")["return"]);
            Assert.NotNull(qmp.Execute("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvdimm\",\"id\":\"nv1\"," +
                "\"memdev\":\"m1\",\"label-size\":131072}}")["return"]);
            var devices = qmp.Execute("{\"execute\":\"query-memory-devices\",\"id\":\"q\"}");
            Assert.Equal("q", devices["id"]!.GetValue<string>());
            Assert.Equal(2, devices["return"]!.AsArray().Count);
            Assert.True(File.Exists(path));

            var quit = qmp.Execute("{\"execute\":\"quit\"}");
            Assert.NotNull(quit["return"]);
            var shutdown = Assert.Single(qmp.Events);
            Assert.Equal("SHUTDOWN", shutdown["event"]!.GetValue<string>());
            Assert.Equal("host-qmp-quit", shutdown["data"]!["reason"]!.GetValue<string>());
            Assert.True(process.WaitForExit(10_000));
            Assert.Equal(0, process.ExitCode);
            Assert.False(File.Exists(socket));
        }
        finally
        {
            Stop(process);
        }
    }

    [Fact]
    public void Qmp_on_tcp_listens_on_loopback_and_sigterm_reports_host_signal()
    {
        using var dir = new TempFolder();
        int port = FreePort();
        using var process = TestMachines.LaunchVnvdimm([.. MachineArgs(dir), "-qmp", $"tcp::{port},server=on,wait=off"]);
        try
        {
            using var qmp = QmpClient.ConnectTcp("127.0.0.1", port);
            Assert.Contains($"0100007F:{port:X4}", ListeningTcpSockets());
            Assert.Equal("running", qmp.Execute("{\"execute\":\"query-status\"}")["return"]!["status"]!.GetValue<string>());

            Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
            qmp.ReadToEnd();
            var shutdown = Assert.Single(qmp.Events);
            Assert.Equal("host-signal", shutdown["data"]!["reason"]!.GetValue<string>());
            Assert.True(process.WaitForExit(10_000));
        }
        finally
        {
            Stop(process);
        }
    }

    [Fact]
    public void Hostile_and_vanishing_clients_get_errors_or_are_dropped_while_others_are_served()
    {
        using var dir = new TempFolder();
        string socket = dir.File("qmp.sock");
        using var process = TestMachines.LaunchVnvdimm([.. MachineArgs(dir), "-qmp", $"unix:{socket},server=on,wait=off"]);
        try
        {
            using var steady = QmpClient.ConnectUnix(socket);

            // Twenty clients at once, each with its own session.
            var clients = Enumerable.Range(0, 20).Select(_ => QmpClient.ConnectUnix(socket)).ToList();
            Parallel.ForEach(clients, (c, _, i) =>
                Assert.Equal(i, c.Execute($"{{\"execute\":\"query-status\",\"id\":{i}}}")["id"]!.GetValue<long>()));

            // Malformed JSON, a wrong argument type and a missing argument: errors, and the session goes on.
            Assert.Equal("GenericError", steady.Execute("{\"execute\": }")["error"]!["class"]!.GetValue<string>());
            Assert.Equal("Invalid parameter type for 'id', expected: string",
                steady.Execute("{\"execute\":\"object-del\",\"arguments\":{\"id\":5}}")["error"]!["desc"]!.GetValue<string>());
            Assert.Equal("Parameter 'id' is missing", steady.Execute("{\"execute\":\"device_del\"}")["error"]!["desc"]!.GetValue<string>());

            // Far more than any command needs, in one value: refused once, then the session goes on.
            steady.Send("{\"execute\":\"query-status\",\"id\":\"" + new string('x', 3 << 20) + "\"}\n");
            Assert.Equal("JSON token size limit exceeded", steady.NextAnswer()["error"]!["desc"]!.GetValue<string>());
            Assert.Equal("running", steady.Execute("{\"execute\":\"query-status\"}")["return"]!["status"]!.GetValue<string>());

            // Clients that leave mid-command, or stall half-way through one.
            for (int i = 0; i < 5; i++)
            {
                using var raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                raw.Connect(new UnixDomainSocketEndPoint(socket));
                raw.Send(Encoding.ASCII.GetBytes("{\"execute\":\"qmp_capabilities\"}{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":"));
            }
            using var stalled = QmpClient.ConnectUnix(socket);
            stalled.Send("{\"execute\":\"query-");

            foreach (var c in clients)
                c.Dispose();
            Assert.Equal(2, steady.Execute("{\"execute\":\"query-memdev\"}")["return"]!.AsArray().Count);
            using var late = QmpClient.ConnectUnix(socket);
            Assert.NotNull(late.Execute("{\"execute\":\"query-memory-devices\"}")["return"]);
            Assert.False(process.HasExited);
        }
        finally
        {
            Stop(process);
        }
    }

    [Fact]
    public void Hmp_on_a_unix_socket_prompts_like_qemu_and_hotplugs()
    {
        using var dir = new TempFolder();
        string socket = dir.File("hmp.sock");
        using var process = TestMachines.LaunchVnvdimm([.. MachineArgs(dir), "-monitor", $"unix:{socket},server=on,wait=off"]);
        try
        {
            using var client = ConnectUnixRaw(socket);
            using var stream = new NetworkStream(client);
            string banner = ReadUntilPrompt(stream);
            Assert.Contains("type 'help' for more information", banner);
            Send(stream, $"object_add memory-backend-file,id=m1,share=on,mem-path={dir.File("nv1.img")},size=16M\n");
            Assert.Equal("", ReadUntilPrompt(stream));
            Send(stream, "device_add nvdimm,id=nv1,memdev=m1\n");
            Assert.Equal("", ReadUntilPrompt(stream));
            Send(stream, "info memory-devices\n");
            Assert.Contains("Memory device [nvdimm]: \"nv1\"\r\n  addr: 0x100fe0000\r\n  slot: 1\r\n", ReadUntilPrompt(stream));
            Send(stream, "device_del nv1\n");
            Assert.Equal("Error: nvdimm device hot unplug is not supported yet.\r\n", ReadUntilPrompt(stream));
            Send(stream, "quit\n");
            Assert.True(process.WaitForExit(10_000));
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            Stop(process);
        }
    }

    /// <summary>
    /// As QEMU's: "migrate URI" holds the monitor until the migration has ended (its failure then printed
    /// here, where QEMU prints it on stderr only); "migrate -d" returns at once.
    /// </summary>
    [Fact]
    public void Hmp_migrate_without_d_holds_the_monitor_until_the_migration_ends()
    {
        using var dir = new TempFolder();
        string socket = dir.File("hmp.sock"), incoming = dir.File("mig.sock");
        Directory.CreateDirectory(dir.File("dst"));
        using var source = TestMachines.LaunchVnvdimm([.. MachineArgs(dir), "-monitor", $"unix:{socket},server=on,wait=off"]);
        using var destination = TestMachines.LaunchVnvdimm(
            [.. MachineArgs(dir).Select(a => a.Replace(dir.Path, dir.File("dst"), StringComparison.Ordinal)), "-incoming", $"unix:{incoming}"]);
        try
        {
            using var client = ConnectUnixRaw(socket);
            using var stream = new NetworkStream(client);
            ReadUntilPrompt(stream);
            for (var deadline = DateTime.UtcNow.AddSeconds(30); !File.Exists(incoming) && DateTime.UtcNow < deadline;)
                Thread.Sleep(20);

            Send(stream, $"migrate unix:{incoming}\n");
            Assert.Equal("", ReadUntilPrompt(stream)); // answered only once it has ended...
            Send(stream, "info migrate\n");
            Assert.Contains("Migration status: completed", ReadUntilPrompt(stream)); // ...so it has completed

            Send(stream, $"migrate unix:{dir.File("nobody.sock")}\n");
            Assert.StartsWith("Error: ", ReadUntilPrompt(stream)); // a failure is printed at the monitor

            Send(stream, "device_add nvdimm,help\n");
            Assert.StartsWith("nvdimm options:\r\n  addr=<uint64>", ReadUntilPrompt(stream));
            Send(stream, "info memory_size_summary\n");
            Assert.Matches("^base memory: [0-9]+\r\nplugged memory: [0-9]+\r\n$", ReadUntilPrompt(stream));
        }
        finally
        {
            Stop(source);
            Stop(destination);
        }
    }

    private static Socket ConnectUnixRaw(string path)
    {
        for (int attempt = 0; ; attempt++)
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                s.Connect(new UnixDomainSocketEndPoint(path));
                return s;
            }
            catch (SocketException) when (attempt < 500)
            {
                s.Dispose();
                Thread.Sleep(20);
            }
        }
    }

    private static void Send(NetworkStream stream, string text) => stream.Write(Encoding.UTF8.GetBytes(text));

    /// <summary>What the monitor printed before its next "(qemu) " prompt.</summary>
    private static string ReadUntilPrompt(NetworkStream stream)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (!text.ToString().EndsWith("(qemu) ", StringComparison.Ordinal))
        {
            int n = stream.Read(buffer);
            if (n == 0)
                throw new IOException("monitor closed: " + text);
            text.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
        return text.ToString()[..^"(qemu) ".Length];
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>"ADDR:PORT" (hex, as the kernel prints them) of every listening IPv4 TCP socket.</summary>
    private static HashSet<string> ListeningTcpSockets() =>
        File.ReadAllLines("/proc/net/tcp").Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f[3] == "0A")
            .Select(f => f[1])
            .ToHashSet();

    private static void Stop(Process process) => TestMachines.Stop(process);
}
