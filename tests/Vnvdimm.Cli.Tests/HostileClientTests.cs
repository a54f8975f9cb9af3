using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Vnvdimm.Guest.Transport;
using Vnvdimm.Testing;
using Xunit.Abstractions;

namespace Vnvdimm.Cli.Tests;

/// <summary>
/// Clients as a hostile user writes them, against a real vnvdimm process over real sockets: storms of
/// short connections, a client that never reads, huge lines, SIGTERM while clients misbehave.
/// </summary>
public sealed class HostileClientTests(ITestOutputHelper output)
{
    private sealed class Machine : IDisposable
    {
        public required Process Process { get; init; }
        public required string Qmp { get; init; }
        public required string Qtest { get; init; }
        public required string Hmp { get; init; }

        public void Dispose()
        {
            TestMachines.Stop(Process);
            Process.Dispose();
        }
    }

    private static Machine Start(TempFolder dir, params string[] extra)
    {
        string[] args =
        [
            "-machine", "pc,nvdimm=on", "-m", "64M,slots=4,maxmem=4G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("nv0.img")},size=16M",
            "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K",
            "-qmp", $"unix:{dir.File("qmp.sock")},server=on,wait=off",
            "-qtest", $"unix:{dir.File("qtest.sock")},server=on,wait=off",
            "-monitor", $"unix:{dir.File("hmp.sock")},server=on,wait=off",
            .. extra,
        ];
        var machine = new Machine
        {
            Process = TestMachines.LaunchVnvdimm(args), Qmp = dir.File("qmp.sock"), Qtest = dir.File("qtest.sock"), Hmp = dir.File("hmp.sock"),
        };
        using (QmpClient.ConnectUnix(machine.Qmp))
        {
        }
        return machine;
    }

    private static Socket Connect(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    private static QtestClient Qtest(string path)
    {
        var stream = new NetworkStream(Connect(path), ownsSocket: true);
        return new QtestClient(stream, stream);
    }

    [Fact]
    public void Storms_of_short_connections_on_every_socket_leave_every_socket_serving()
    {
        using var dir = new TempFolder();
        using var machine = Start(dir);
        var clock = Stopwatch.StartNew();
        foreach (var path in new[] { machine.Qmp, machine.Qtest, machine.Hmp })
        {
            for (int i = 0; i < 300; i++)
            {
                using var socket = Connect(path);
                switch (i % 4)
                {
                    case 0: // connect and leave at once
                        break;
                    case 1: // a command, then half-close and leave without reading
                        socket.Send(Encoding.ASCII.GetBytes(path == machine.Qmp ? "{\"execute\":\"qmp_capabilities\"}\n" : "info status\n"));
                        socket.Shutdown(SocketShutdown.Send);
                        break;
                    case 2: // half a command
                        socket.Send("{\"exec"u8.ToArray());
                        break;
                    case 3: // reset instead of close
                        socket.LingerState = new LingerOption(true, 0);
                        break;
                }
            }
        }
        output.WriteLine($"900 short connections in {clock.ElapsedMilliseconds} ms");

        // Every kind of socket serves a normal client right after, and more than the limit of simultaneous clients in a row.
        var served = Stopwatch.StartNew();
        using (var qmp = QmpClient.ConnectUnix(machine.Qmp))
            Assert.Equal("running", qmp.Execute("{\"execute\":\"query-status\"}")["return"]!["status"]!.GetValue<string>());
        output.WriteLine($"QMP client served {served.Elapsed.TotalMilliseconds:F1} ms after the storm");
        using (var qtest = Qtest(machine.Qtest))
            Assert.Equal("OK little", qtest.Command("endianness"));
        using (var hmp = new NetworkStream(Connect(machine.Hmp), ownsSocket: true))
            Assert.Contains("(qemu) ", ReadUntil(hmp, "(qemu) "));
        for (int i = 0; i < EndpointLimit + 10; i++)
        {
            using var qmp = QmpClient.ConnectUnix(machine.Qmp);
            Assert.NotNull(qmp.Execute("{\"execute\":\"query-version\"}")["return"]);
        }
    }

    private const int EndpointLimit = Vnvdimm.Chardev.EndpointServer.MaxClients;

    [Fact]
    public void Clients_beyond_the_limit_are_closed_and_served_again_once_others_leave()
    {
        using var dir = new TempFolder();
        using var machine = Start(dir);
        var held = new List<QmpClient>();
        try
        {
            for (int i = 0; i < EndpointLimit; i++)
                held.Add(QmpClient.ConnectUnix(machine.Qmp));
            using (var refused = Connect(machine.Qmp))
            {
                refused.ReceiveTimeout = 5000;
                Assert.Equal(0, refused.Receive(new byte[256])); // closed without a greeting
            }
        }
        finally
        {
            foreach (var client in held)
                client.Dispose();
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var qmp = QmpClient.ConnectUnix(machine.Qmp);
                Assert.NotNull(qmp.Execute("{\"execute\":\"query-status\"}")["return"]);
                break;
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50); // the held sessions are still ending
            }
        }
    }

    [Fact]
    public void A_client_that_never_reads_delays_no_one_and_sigterm_still_ends_the_process_at_once()
    {
        using var dir = new TempFolder();
        using var machine = Start(dir);

        // A negotiates, then asks for answers and events it never reads.
        using var stalled = Connect(machine.Qmp);
        stalled.Send("{\"execute\":\"qmp_capabilities\"}\n"u8.ToArray());
        var flood = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("{\"execute\":\"query-version\"}\n", 2000)));
        stalled.Send(flood);

        using var qmp = QmpClient.ConnectUnix(machine.Qmp);
        using var qtest = Qtest(machine.Qtest);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 10_000; i++)
        {
            var answer = qmp.Execute(i % 2 == 0 ? "{\"execute\":\"stop\"}" : "{\"execute\":\"cont\"}");
            Assert.NotNull(answer["return"]);
            if (i % 1000 == 0)
                Assert.Equal("OK", qtest.Command("outl 0x80 0"));
        }
        output.WriteLine($"10000 stop/cont with a stalled client: {clock.ElapsedMilliseconds} ms");
        Assert.True(qmp.Events.Count(e => e["event"]!.GetValue<string>() is "STOP" or "RESUME") >= 9_999); // events flowed to B meanwhile

        clock.Restart();
        Terminate(machine.Process);
        Assert.True(machine.Process.WaitForExit(2_000), "SIGTERM with a stalled client did not end the process within 2 s");
        output.WriteLine($"SIGTERM to exit with a stalled client: {clock.ElapsedMilliseconds} ms");
        Assert.Equal(0, machine.Process.ExitCode);
    }

    [Fact]
    public void A_client_that_lets_megabytes_of_answers_pile_up_is_disconnected_and_others_are_served()
    {
        using var dir = new TempFolder();
        using var machine = Start(dir);
        using var stalled = Connect(machine.Qmp);
        stalled.ReceiveBufferSize = 4096;
        stalled.Send("{\"execute\":\"qmp_capabilities\"}\n"u8.ToArray());
        // query-commands answers about 1.5 KiB: thousands of them exceed the 8 MiB a client may leave unread.
        var line = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("{\"execute\":\"query-commands\"}\n", 1000)));
        bool cut = false;
        try
        {
            for (int i = 0; i < 20; i++)
                stalled.Send(line);
        }
        catch (SocketException)
        {
            cut = true; // disconnected while still sending
        }
        using var qmp = QmpClient.ConnectUnix(machine.Qmp);
        Assert.Equal("running", qmp.Execute("{\"execute\":\"query-status\"}")["return"]!["status"]!.GetValue<string>());
        if (!cut)
        {
            // Reading now drains what the kernel holds, then the end: the server hung up on this client.
            stalled.ReceiveTimeout = 10_000;
            var buffer = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = stalled.Receive(buffer)) > 0)
                total += n;
            Assert.True(total < 20 * 1000 * 2000, $"the whole backlog ({total} bytes) was delivered: the client was never dropped");
        }
    }

    [Fact]
    public void Four_qtest_lines_of_100_MB_at_once_are_refused_without_the_memory_they_ask_for_and_the_sessions_go_on()
    {
        using var dir = new TempFolder();
        using var machine = Start(dir);
        long before = PeakRss(machine.Process);
        var chunk = Encoding.ASCII.GetBytes(new string('0', 1 << 20));
        Parallel.For(0, 4, i =>
        {
            using var socket = Connect(machine.Qtest);
            using var stream = new NetworkStream(socket);
            stream.Write(i % 2 == 0 ? "write 0x0 16 0x"u8 : "outb 0x80 "u8); // announced short, or a command that is never long
            for (int mb = 0; mb < 100; mb++)
                stream.Write(chunk);
            stream.Write("\nendianness\n"u8);
            var reader = new StreamReader(stream, Encoding.ASCII);
            Assert.StartsWith("ERR line too long", reader.ReadLine());
            Assert.Equal("OK little", reader.ReadLine());
        });
        long peak = PeakRss(machine.Process);
        output.WriteLine($"peak RSS {before >> 20} MiB before, {peak >> 20} MiB after four 100 MB lines at once");
        Assert.True(peak - before < 32L << 20, $"four dropped 100 MB lines cost {(peak - before) >> 20} MiB");
    }

    [Fact]
    public void A_qmp_value_of_100_MB_is_refused_without_the_memory_it_asks_for_and_the_session_goes_on()
    {
        using var dir = new TempFolder();
        using var machine = Start(dir);
        using var qmp = QmpClient.ConnectUnix(machine.Qmp);
        long before = PeakRss(machine.Process);
        var chunk = Encoding.ASCII.GetBytes(new string('x', 1 << 20));
        qmp.Send("{\"execute\":\"query-status\",\"id\":\"");
        for (int i = 0; i < 100; i++)
            qmp.Send(Encoding.ASCII.GetString(chunk));
        qmp.Send("\"}\n");
        Assert.Equal("JSON token size limit exceeded", qmp.NextAnswer()["error"]!["desc"]!.GetValue<string>());
        Assert.Equal("running", qmp.Execute("{\"execute\":\"query-status\"}")["return"]!["status"]!.GetValue<string>());
        long peak = PeakRss(machine.Process);
        output.WriteLine($"peak RSS {before >> 20} MiB before, {peak >> 20} MiB after a 100 MB QMP value");
        Assert.True(peak - before < 32L << 20, $"a refused 100 MB value cost {(peak - before) >> 20} MiB");
    }

    [Fact]
    public void Clients_that_never_read_their_64_MiB_answers_hold_their_data_not_its_encoding()
    {
        using var dir = new TempFolder();
        using var machine = Start(dir);
        long before = PeakRss(machine.Process);
        var stalled = Enumerable.Range(0, 4).Select(_ => Connect(machine.Qtest)).ToList();
        try
        {
            foreach (var socket in stalled)
                socket.Send("read 0x0 0x4000000\n"u8.ToArray()); // 64 MiB in hex: 128 MiB of answer each, never read
            Thread.Sleep(1500);
            using var qtest = Qtest(machine.Qtest);
            Assert.Equal("OK little", qtest.Command("endianness"));
            long peak = PeakRss(machine.Process);
            output.WriteLine($"peak RSS {before >> 20} MiB before, {peak >> 20} MiB with four stalled 64 MiB reads");
            // Each holds its 64 MiB of data and a piece of the answer (it used to be data + the whole 128 MiB answer).
            Assert.True(peak - before < 4 * (96L << 20), $"four stalled readers cost {(peak - before) >> 20} MiB");
        }
        finally
        {
            foreach (var socket in stalled)
                socket.Dispose();
        }
    }

    [Fact]
    public void A_large_write_costs_its_data_not_multiples_of_its_line()
    {
        using var dir = new TempFolder();
        using var machine = Start(dir);
        using var qtest = Qtest(machine.Qtest);
        long before = PeakRss(machine.Process);
        var data = new byte[32 << 20];
        Random.Shared.NextBytes(data);
        // A 64 MiB line: 32 MiB of data in hex, to guest RAM, then read back in base64.
        Assert.Equal("OK", qtest.Command($"write 0x100000 {data.Length} 0x{Convert.ToHexStringLower(data)}"));
        var back = qtest.Command($"b64read 0x100000 {data.Length}");
        Assert.Equal(Convert.ToBase64String(data), back[3..]);
        long peak = PeakRss(machine.Process);
        output.WriteLine($"peak RSS {before >> 20} MiB before, {peak >> 20} MiB after a 64 MiB line");
        // Line (64 MiB) + data (32 MiB) + the guest RAM touched (32 MiB) + the answer (43 MiB), with slack for the GC.
        Assert.True(peak - before < 260L << 20, $"a 64 MiB write cost {(peak - before) >> 20} MiB");
    }

    [Fact]
    public void Sigterm_ends_the_process_promptly_with_clients_stuck_in_every_protocol()
    {
        using var dir = new TempFolder();
        using var machine = Start(dir);
        using var halfQmp = Connect(machine.Qmp);
        halfQmp.Send("{\"execute\":\"qmp_capabilities\"}\n{\"execute\":"u8.ToArray());
        using var halfQtest = Connect(machine.Qtest);
        halfQtest.Send("read 0x0 67108864\nread 0x0 67108864\n"u8.ToArray()); // 256 MiB of answers nobody reads
        using var halfHmp = Connect(machine.Hmp);
        halfHmp.Send("info sta"u8.ToArray());
        Thread.Sleep(300);
        var clock = Stopwatch.StartNew();
        Terminate(machine.Process);
        Assert.True(machine.Process.WaitForExit(2_000), "SIGTERM did not end the process within 2 s");
        output.WriteLine($"SIGTERM to exit: {clock.ElapsedMilliseconds} ms");
        Assert.Equal(0, machine.Process.ExitCode);
    }

    [Fact]
    public void Sighup_shuts_down_as_qemu_does_and_removes_the_socket_and_pidfile()
    {
        using var dir = new TempFolder();
        using var machine = Start(dir, "-pidfile", dir.File("pid"));
        using var qmp = QmpClient.ConnectUnix(machine.Qmp);
        Process.Start("kill", ["-HUP", machine.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        Assert.True(machine.Process.WaitForExit(5_000));
        Assert.Equal(0, machine.Process.ExitCode);
        qmp.ReadToEnd();
        Assert.Contains(qmp.Events, e => e["event"]!.GetValue<string>() == "SHUTDOWN" && e["data"]!["reason"]!.GetValue<string>() == "host-signal");
        Assert.False(File.Exists(machine.Qmp));
        Assert.False(File.Exists(dir.File("pid")));
    }

    [Fact]
    public void A_second_instance_on_the_same_pidfile_is_refused_before_it_creates_anything()
    {
        using var dir = new TempFolder();
        using var machine = Start(dir, "-pidfile", dir.File("pid"));
        string pid = File.ReadAllText(dir.File("pid"));
        using var other = new TempFolder();
        var second = TestMachines.RunVnvdimm(["-machine", "pc,nvdimm=on", "-m", "64M,slots=1,maxmem=1G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={other.File("nv.img")},size=16M", "-pidfile", dir.File("pid")]);
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("Cannot lock pid file: Resource temporarily unavailable", second.Stderr);
        Assert.Empty(Directory.GetFiles(other.Path));
        Assert.Equal(pid, File.ReadAllText(dir.File("pid"))); // the first instance's pidfile is untouched
    }

    [Theory]
    [InlineData("-qmp", "unix:/nonexistent/q.sock,server=on,wait=off", "Failed to bind socket to /nonexistent/q.sock: No such file or directory")]
    [InlineData("-qtest", "unix:/nonexistent/t.sock", "Failed to connect to '/nonexistent/t.sock': No such file or directory")]
    [InlineData("-pidfile", "/nonexistent/pid", "cannot create PID file")]
    public void A_start_that_fails_after_the_backends_removes_the_files_it_created(string option, string value, string message)
    {
        using var dir = new TempFolder();
        var outcome = TestMachines.RunVnvdimm(["-machine", "pc,nvdimm=on", "-m", "64M,slots=1,maxmem=1G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("nv.img")},size=16M",
            "-device", "nvdimm,memdev=m0", option, value]);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains(message, outcome.Stderr);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void A_qtest_log_that_cannot_be_written_stops_logging_and_qtest_goes_on()
    {
        using var dir = new TempFolder();
        using var machine = Start(dir, "-qtest-log", "/dev/full");
        using var qtest = Qtest(machine.Qtest);
        Assert.Equal("OK little", qtest.Command("endianness"));
        Assert.Equal("OK", qtest.Command("outl 0x80 0"));
        Terminate(machine.Process);
        Assert.True(machine.Process.WaitForExit(2_000));
        Assert.Equal(0, machine.Process.ExitCode);
    }

    [Fact]
    public void Hmp_lines_ended_by_a_lone_carriage_return_run_as_in_qemu()
    {
        using var dir = new TempFolder();
        using var machine = Start(dir);
        using var hmp = new NetworkStream(Connect(machine.Hmp), ownsSocket: true);
        ReadUntil(hmp, "(qemu) ");
        hmp.Write("info status\r"u8);
        Assert.Contains("VM status: running", ReadUntil(hmp, "(qemu) "));
        hmp.Write("info name\r\ninfo version\n"u8);
        string both = ReadUntil(hmp, "vnvdimm");
        Assert.DoesNotContain("unknown command", both);
    }

    [Fact]
    public async Task A_memset_over_the_whole_address_space_does_not_hold_up_another_client()
    {
        using var dir = new TempFolder();
        using var machine = Start(dir);
        using var filler = Qtest(machine.Qtest);
        using var other = Qtest(machine.Qtest);
        var fill = Task.Run(() => filler.Command("memset 0 0xffffffffffffffff 0x5a"));
        Thread.Sleep(50);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 20; i++)
            Assert.Equal("OK", other.Command("outl 0x80 0"));
        var elapsed = clock.Elapsed;
        Assert.Equal("OK", await fill);
        output.WriteLine($"20 commands during a whole-space memset: {elapsed.TotalMilliseconds:F0} ms");
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"another client waited {elapsed.TotalMilliseconds:F0} ms");
    }

    private static void Terminate(Process process) =>
        Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    private static string ReadUntil(Stream stream, string marker)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (!text.ToString().Contains(marker, StringComparison.Ordinal))
        {
            int n = stream.Read(buffer);
            if (n == 0)
                break;
            text.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
        return text.ToString();
    }

    private static long PeakRss(Process process)
    {
        foreach (var line in File.ReadLines($"/proc/{process.Id}/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) << 10;
        throw new InvalidOperationException("no VmHWM");
    }
}

