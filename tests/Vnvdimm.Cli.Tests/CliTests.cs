using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Vnvdimm.Testing;

namespace Vnvdimm.Cli.Tests;

public sealed class CliTests
{
    [Fact]
    public void Default_machine_shows_the_guest_view_and_exits_when_input_ends()
    {
        using var data = new TempFolder();
        var outcome = TestMachines.RunVnvdimm([], stdin: "", environment: new Dictionary<string, string> { ["VNVDIMM_DATA_DIR"] = data.Path });
        Assert.Equal(0, outcome.ExitCode);
        Assert.Contains("0x100000000", outcome.Stdout); // the guest address the NFIT gives
        Assert.Contains("cpu_cache", outcome.Stdout); // nvdimm-persistence=cpu, as Linux names it
        Assert.Contains("128 KiB", outcome.Stdout);
        Assert.Contains("1023.875 MiB", outcome.Stdout); // 1 GiB less the label area
        var image = new FileInfo(data.File("nvdimm0.img"));
        Assert.Equal(1L << 30, image.Length);
    }

    [Fact]
    public void Default_machine_prompt_is_hmp_and_quits_on_quit()
    {
        using var data = new TempFolder();
        var outcome = TestMachines.RunVnvdimm([], stdin: "bogus\ninfo memory-devices\nquit\nnever\n",
            environment: new Dictionary<string, string> { ["VNVDIMM_DATA_DIR"] = data.Path });
        Assert.Equal(0, outcome.ExitCode);
        Assert.Contains("unknown command: 'bogus'", outcome.Stdout);
        Assert.Contains("Memory device [nvdimm]: \"nvdimm0\"\n  addr: 0x100000000\n", outcome.Stdout);
        Assert.DoesNotContain("'never'", outcome.Stdout);
    }

    [Fact]
    public void Version_and_help_behave_like_qemus()
    {
        var version = TestMachines.RunVnvdimm(["-version"]);
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^vnvdimm emulator version \d+\.\d+\.\d+", version.Stdout);
        var help = TestMachines.RunVnvdimm(["-h"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("usage: vnvdimm [options]", help.Stdout);
        foreach (var option in new[] { "-machine", "-m ", "-object memory-backend-file", "-device nvdimm", "-numa", "-qtest", "-qtest-log" })
            Assert.Contains(option, help.Stdout);
    }

    [Fact]
    public void Missing_libpmem_fails_with_qemus_phrase_and_creates_no_file()
    {
        using var dir = new TempFolder();
        var outcome = TestMachines.RunVnvdimm(
            ["-object", $"memory-backend-file,id=m0,mem-path={dir.File("p.img")},size=64M,share=on,pmem=on"],
            environment: new Dictionary<string, string> { ["VNVDIMM_LIBPMEM"] = "libpmem-absent.so.1" });
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("lack of libpmem support", outcome.Stderr);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [SkippableFact]
    public void Pmem_on_a_page_cache_file_starts_with_the_map_sync_warning()
    {
        Prerequisite.Require(File.Exists(Prerequisite.LibpmemPath), Prerequisite.LibpmemMissing);
        using var dir = new TempFolder();
        using var machine = TestMachines.StartVnvdimm(
            ["-object", $"memory-backend-file,id=m0,mem-path={dir.File("p.img")},size=64M,share=on,pmem=on"]);
        Assert.Equal("OK little", machine.Command("endianness"));
        // Standard error arrives on its own pipe: give it a moment.
        for (var deadline = DateTime.UtcNow.AddSeconds(10); !machine.StandardError.Contains("MAP_SYNC") && DateTime.UtcNow < deadline;)
            Thread.Sleep(20);
        Assert.Contains("vnvdimm: warning: ", machine.StandardError);
        Assert.Contains("MAP_SYNC", machine.StandardError);
    }

    [Fact]
    public void Pidfile_holds_the_pid_while_running_and_goes_away_after()
    {
        using var dir = new TempFolder();
        string pidfile = dir.File("vm.pid");
        using (var machine = TestMachines.StartVnvdimm(["-pidfile", pidfile]))
        {
            Assert.Equal("OK little", machine.Command("endianness"));
            int pid = int.Parse(File.ReadAllText(pidfile).Trim());
            Assert.Equal("dotnet", Process.GetProcessById(pid).ProcessName);
        }
        Assert.False(File.Exists(pidfile));
    }

    [Fact]
    public void Malformed_qtest_lines_are_answered_and_the_machine_keeps_serving()
    {
        using var machine = TestMachines.StartVnvdimm(["-m", "64M"]);
        Assert.StartsWith("ERR ", machine.Command("outb 0x510"));
        Assert.StartsWith("ERR ", machine.Command("read 0x0 0"));
        Assert.StartsWith("FAIL Unknown command", machine.Command("nonsense"));
        Assert.Equal("OK", machine.Command("writel 0x1000 0xcafe"));
        Assert.Equal("OK 0x000000000000cafe", machine.Command("readl 0x1000"));
    }

    [Fact]
    public void Qtest_unix_server_accepts_clients_and_keeps_the_socket_private()
    {
        using var dir = new TempFolder();
        string socketPath = dir.File("qtest.sock");
        string log = dir.File("qtest.log");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { TestMachines.CliDll, "-m", "64M", "-qtest", $"unix:{socketPath},server=on,wait=off", "-qtest-log", log })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!File.Exists(socketPath) && DateTime.UtcNow < deadline)
                Thread.Sleep(20);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socketPath));
            for (int client = 0; client < 2; client++)
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Connect(new UnixDomainSocketEndPoint(socketPath));
                using var stream = new NetworkStream(socket);
                var q = new Vnvdimm.Guest.Transport.QtestClient(stream, stream);
                Assert.Equal("OK", q.Command($"writeb 0x100{client} 0x4{client}"));
                Assert.Equal($"OK 0x000000000000004{client}", q.Command($"readb 0x100{client}"));
            }
            Assert.Contains("writeb 0x1001 0x41", File.ReadAllText(log));
            Assert.Matches(@"\[R \+\d+\.\d{6}\] writeb 0x1000 0x40", File.ReadAllText(log));
            Assert.Matches(@"\[S \+\d+\.\d{6}\] OK", File.ReadAllText(log));
        }
        finally
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    [Fact]
    public void Qtest_unix_client_connects_to_the_test_harness_like_libqtest()
    {
        using var dir = new TempFolder();
        string socketPath = dir.File("harness.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true };
        foreach (var a in new[] { TestMachines.CliDll, "-m", "64M", "-qtest", $"unix:{socketPath}" })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        using (var connection = listener.Accept())
        using (var stream = new NetworkStream(connection))
        {
            var q = new Vnvdimm.Guest.Transport.QtestClient(stream, stream);
            Assert.Equal("OK 0x0051", q.Command("inb 0x511"));
        }
        // Closing the channel ends the machine, as QEMU's does for its test harness.
        Assert.True(process.WaitForExit(20000));
        Assert.Equal(0, process.ExitCode);
    }
}
