using Vnvdimm.Guest.Transport;
using Vnvdimm.Guest.Dsm;
using Vnvdimm.Testing;

namespace Vnvdimm.Cli.Tests;

/// <summary>Storage that cannot hold what the machine asks of it: the request fails, the machine lives.</summary>
public sealed class StorageFaultTests
{
    private static string[] Machine(string memPath, string extra) =>
    [
        "-machine", "pc,nvdimm=on", "-m", "64M,slots=2,maxmem=1G",
        "-object", $"memory-backend-file,id=m0,share=on,mem-path={memPath},size=64M{extra}",
        "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K",
    ];

    [SkippableFact]
    public void Prealloc_on_a_filesystem_too_small_fails_as_qemu_does_and_leaves_no_file()
    {
        using var small = new SmallFilesystem(8);
        var ours = TestMachines.RunVnvdimm([.. Machine(small.File("nv.img"), ",prealloc=on"), "-qtest", "stdio"], stdin: "");
        Assert.Equal(1, ours.ExitCode);
        Assert.Contains("qemu_prealloc_mem: preallocating memory failed", ours.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(small.Path)); // the file this start created is gone, its blocks with it
        Assert.Equal(8L << 20, small.FreeBytes);

        TestMachines.RequireQemu();
        var qemu = TestMachines.RunQemu(Machine(small.File("q.img"), ",prealloc=on"));
        Assert.Equal(1, qemu.ExitCode);
        Assert.Contains("qemu_prealloc_mem: preallocating memory failed", qemu.Stderr);
    }

    [SkippableFact]
    public void Prealloc_through_qom_set_on_a_full_filesystem_is_an_error_and_the_machine_runs_on()
    {
        using var small = new SmallFilesystem(8);
        using var dir = new TempFolder();
        string qmpPath = dir.File("qmp.sock");
        using var process = TestMachines.LaunchVnvdimm([.. Machine(small.File("nv.img"), ""), "-qmp", $"unix:{qmpPath},server=on,wait=off"]);
        try
        {
            using var qmp = QmpClient.ConnectUnix(qmpPath);
            var answer = qmp.Execute("{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"/objects/m0\",\"property\":\"prealloc\",\"value\":true}}");
            Assert.StartsWith("qemu_prealloc_mem: preallocating memory failed", answer["error"]!["desc"]!.GetValue<string>());
            Assert.False(qmp.Execute(
                "{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/objects/m0\",\"property\":\"prealloc\"}}")["return"]!.GetValue<bool>());
            Assert.Equal("running", qmp.Execute("{\"execute\":\"query-status\"}")["return"]!["status"]!.GetValue<string>());
        }
        finally
        {
            TestMachines.Stop(process);
        }
    }

    /// <summary>Where the first NVDIMM sits in these machines (the device-memory region at 4 GiB).</summary>
    private const ulong Nvdimm = 0x100000000;

    private const uint LabelStatusHardwareError = 4;

    /// <summary>
    /// How guest accesses to a file are guarded: the native fault guard (the default), or the size check
    /// that replaces it where the guard library could not be built. Both must give the same answers.
    /// </summary>
    public static TheoryData<string> Guards => ["native", "fstat"];

    private static Dictionary<string, string> GuardEnvironment(string guard) =>
        guard == "fstat" ? new() { ["VNVDIMM_FAULT_GUARD"] = "fstat" } : [];

    [SkippableTheory]
    [MemberData(nameof(Guards))]
    public void A_full_filesystem_fails_the_write_that_needs_room_and_loses_nothing_acknowledged(string guard)
    {
        using var small = new SmallFilesystem(8);
        string image = small.File("nv.img");
        using var machine = TestMachines.StartVnvdimm([.. Machine(image, ""), "-S"], GuardEnvironment(guard));
        var dsm = new DsmClient(machine, 0x100000);
        byte[] label = [.. Enumerable.Range(0, 256).Select(i => (byte)i)];
        Assert.Equal(0u, dsm.SetLabelData(1, 0, label).Status); // acknowledged while there is room
        Assert.Equal("OK", machine.Command($"write 0x{Nvdimm:x} 4 0x11223344"));

        // 64 MiB of guest writes into an 8 MiB filesystem: the write that finds no room fails, the machine lives.
        string fill = machine.Command($"memset 0x{Nvdimm + 0x100000:x} {32 << 20} 0x5a");
        Assert.StartsWith("ERR ", fill);
        Assert.Contains("No space left on device", fill);
        // The label area's last page is a hole: a label write there needs a block it cannot have.
        var refused = dsm.SetLabelData(1, (128 << 10) - 256, label);
        Assert.Equal(LabelStatusHardwareError, refused.Status);
        Assert.Equal(8u, refused.Length); // no data with a failure

        // Everything acknowledged before is still there, and the machine still answers.
        Assert.Equal(label, dsm.GetLabelData(1, 0, 256).Payload.ToArray());
        Assert.Equal("OK 0x0000000044332211", machine.Command($"readq 0x{Nvdimm:x}"));
        Assert.Equal("OK little", machine.Command("endianness"));
    }

    /// <summary>
    /// A granule already reserved can lose its blocks behind the machine's back (another program punches
    /// a hole, then fills the disk). Only the fault guard can catch the write that then faults.
    /// </summary>
    [SkippableFact]
    public void A_hole_punched_into_a_full_filesystem_fails_the_one_write_that_lands_in_it()
    {
        using var small = new SmallFilesystem(8);
        string image = small.File("nv.img");
        using var machine = TestMachines.StartVnvdimm([.. Machine(image, ""), "-S"]);
        Assert.Equal("OK", machine.Command($"writeq 0x{Nvdimm:x} 0x1122334455667788"));
        Assert.StartsWith("ERR ", machine.Command($"memset 0x{Nvdimm + 0x100000:x} {32 << 20} 0x5a")); // the disk is now full

        var punch = TestMachines.Run("fallocate", ["--punch-hole", "--offset", "0x100000", "--length", "0x10000", image], "", null);
        Assert.Equal(0, punch.ExitCode);
        using (var filler = new FileStream(small.File("filler"), FileMode.CreateNew))
        {
            try
            {
                filler.Write(new byte[1 << 20]); // takes the blocks the hole gave back
                filler.Flush();
            }
            catch (IOException)
            {
            }
        }

        string fault = machine.Command($"writeq 0x{Nvdimm + 0x100000:x} 0x1");
        Assert.StartsWith("ERR ", fault);
        Assert.Contains("its filesystem is full or failing", fault);
        Assert.Equal("OK 0x1122334455667788", machine.Command($"readq 0x{Nvdimm:x}"));
        Assert.Equal("OK little", machine.Command("endianness"));
    }

    [SkippableTheory]
    [InlineData("share=on", "native")]
    [InlineData("share=off", "native")]
    [InlineData("share=on", "fstat")]
    [InlineData("share=off", "fstat")]
    public void A_backing_file_truncated_while_running_fails_the_accesses_beyond_its_end_and_nothing_else(string share, string guard)
    {
        using var dir = new TempFolder();
        string image = dir.File("nv.img");
        using var machine = TestMachines.StartVnvdimm(
            [.. Machine(image, "").Select(a => a.Replace("share=on", share, StringComparison.Ordinal)), "-S"],
            GuardEnvironment(guard));
        var dsm = new DsmClient(machine, 0x100000);
        Assert.Equal("OK", machine.Command($"writeq 0x{Nvdimm:x} 0x1122334455667788"));
        using (var f = new FileStream(image, FileMode.Open))
            f.SetLength(1 << 20); // a careless script

        string beyond = machine.Command($"readq 0x{Nvdimm + (2 << 20):x}");
        Assert.StartsWith("ERR ", beyond);
        Assert.Contains("truncated", beyond);
        Assert.StartsWith("ERR ", machine.Command($"b64write 0x{Nvdimm + (2 << 20):x} 4 AAAAAA=="));
        Assert.Equal(LabelStatusHardwareError, dsm.GetLabelData(1, 0, 256).Status); // the label area was the file's tail
        Assert.Equal(LabelStatusHardwareError, dsm.SetLabelData(1, 0, new byte[16]).Status);
        Assert.Equal(1L << 20, new FileInfo(image).Length); // a failed write does not grow the file back
        // What the file still holds is served.
        Assert.Equal("OK 0x1122334455667788", machine.Command($"readq 0x{Nvdimm:x}"));
        Assert.Equal("OK little", machine.Command("endianness"));
    }

    /// <summary>
    /// A file cut inside a page does not fault on the rest of that page: it reads zeros there and keeps
    /// nothing written. The watched size refuses those accesses (once the watch has seen the truncation,
    /// hence the short wait), and a durable label write confirms its bytes are inside the file before
    /// it answers success.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Guards))]
    public void A_file_cut_inside_a_page_refuses_the_rest_of_that_page_and_acknowledges_no_label_write_there(string guard)
    {
        using var dir = new TempFolder();
        string image = dir.File("nv.img");
        using var machine = TestMachines.StartVnvdimm([.. Machine(image, ""), "-S"], GuardEnvironment(guard));
        var dsm = new DsmClient(machine, 0x100000);
        Assert.Equal("OK", machine.Command($"writeq 0x{Nvdimm + 0x100000:x} 0x1111"));

        using (var f = new FileStream(image, FileMode.Open))
            f.SetLength((64 << 20) - 100); // the label area's last 100 bytes, mid-page
        var refused = dsm.SetLabelData(1, (128 << 10) - 256, new byte[256]);
        Assert.Equal(LabelStatusHardwareError, refused.Status); // not acknowledged: the file cannot keep it

        using (var f = new FileStream(image, FileMode.Open))
            f.SetLength(0x100064);
        string read = "";
        for (var deadline = DateTime.UtcNow.AddSeconds(5);
            DateTime.UtcNow < deadline && !read.StartsWith("ERR ", StringComparison.Ordinal);
            Thread.Sleep(10))
            read = machine.Command($"readq 0x{Nvdimm + 0x1000c8:x}");
        Assert.StartsWith("ERR ", read);
        Assert.Contains("truncated", read);
        Assert.StartsWith("ERR ", machine.Command($"writeq 0x{Nvdimm + 0x1000c8:x} 0xdeadbeef"));
        Assert.Equal("OK 0x0000000000001111", machine.Command($"readq 0x{Nvdimm + 0x100000:x}")); // what the file holds is served
        Assert.Equal(0x100064L, new FileInfo(image).Length);
    }

    /// <summary>
    /// The size watch uses one inotify instance for the whole process: with one per backend, 128 backends
    /// (the default per-user limit) left every other program of the user without inotify.
    /// </summary>
    [SkippableFact]
    public void Many_file_backends_share_one_inotify_instance()
    {
        using var dir = new TempFolder();
        string qmpPath = dir.File("qmp.sock");
        using var process = TestMachines.LaunchVnvdimm([.. Machine(dir.File("nv.img"), ""), "-S", "-qmp", $"unix:{qmpPath},server=on,wait=off"]);
        try
        {
            using var qmp = QmpClient.ConnectUnix(qmpPath);
            for (int i = 0; i < 20; i++)
                Assert.NotNull(qmp.Execute($"{{\"execute\":\"object-add\",\"arguments\":{{\"qom-type\":\"memory-backend-file\",\"id\":\"b{i}\"," +
                    $"\"share\":true,\"mem-path\":\"{dir.File($"b{i}.img")}\",\"size\":1048576}}}}")["return"]);
            int inotify = Directory.GetFiles($"/proc/{process.Id}/fd")
                .Count(fd => new FileInfo(fd).LinkTarget == "anon_inode:inotify");
            Assert.Equal(1, inotify);
        }
        finally
        {
            TestMachines.Stop(process);
        }
    }

    /// <summary>
    /// A SIGBUS sent by another process is not a fault the guard may swallow: the process takes SIGBUS's
    /// default action, as QEMU does, whatever runtime runs it (CoreCLR's handler used to swallow it and
    /// disarm the guard). A real fault in a guarded access still is only an error, as the tests above show.
    /// </summary>
    [SkippableFact]
    public void A_sigbus_sent_by_kill_ends_the_process_as_its_default_action_does()
    {
        using var dir = new TempFolder();
        using var process = TestMachines.LaunchVnvdimm([.. Machine(dir.File("nv.img"), ""), "-S", "-qtest", "stdio"]);
        // The answer proves the machine is built, its file mapped and so the guard installed.
        using var answered = new ManualResetEventSlim();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == "OK")
                answered.Set();
        };
        process.StandardInput.WriteLine($"writeq 0x{Nvdimm:x} 0x1");
        process.StandardInput.Flush();
        Assert.True(answered.Wait(TimeSpan.FromSeconds(30)), "the machine never answered");
        var kill = TestMachines.Run("kill", ["-BUS", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], "", null);
        Assert.Equal(0, kill.ExitCode);
        Assert.True(process.WaitForExit(10_000), "SIGBUS from kill was swallowed");
        Assert.Equal(128 + 7, process.ExitCode); // ended by SIGBUS
    }

    /// <summary>
    /// The fault guard is what makes the checks above free: with it, guest accesses to a file make no
    /// system call of their own; the size check it replaces makes one per access. Counted on the real
    /// process with strace, so a guard that silently failed to load turns this red.
    /// </summary>
    [SkippableFact]
    public void With_the_fault_guard_guest_accesses_to_a_file_make_no_size_check()
    {
        SyscallTrace.Require();
        const int Accesses = 500;
        int SizeChecks(string guard)
        {
            using var dir = new TempFolder();
            string log = dir.File("strace.log");
            using (var machine = QtestClient.Spawn(SyscallTrace.Strace, [.. Machine(dir.File("nv.img"), ""), "-S"],
                [.. SyscallTrace.Options(log, ["fstat", "newfstatat", "statx"], GuardEnvironment(guard)), "dotnet", TestMachines.CliDll]))
            {
                for (int i = 0; i < Accesses; i++)
                {
                    Assert.Equal("OK", machine.Command($"writel 0x{Nvdimm + (ulong)i * 8:x} 0x{i:x}"));
                    Assert.Equal($"OK 0x{i:x16}", machine.Command($"readl 0x{Nvdimm + (ulong)i * 8:x}"));
                }
            }
            return SyscallTrace.Read(log).Count;
        }
        int guarded = SizeChecks("native"), checkedBySize = SizeChecks("fstat");
        Assert.True(checkedBySize - guarded >= 3 * Accesses / 2, // one per access, less what start-up varies by
            $"{guarded} stat calls with the guard, {checkedBySize} without: the guard is not in use");
        Assert.True(guarded < Accesses / 2, $"{guarded} stat calls with the guard for {2 * Accesses} accesses");
    }

    [SkippableFact]
    public void A_source_whose_file_was_truncated_fails_its_migration_instead_of_sending_zeros()
    {
        using var dir = new TempFolder();
        string qmpPath = dir.File("src.qmp"), destinationQmp = dir.File("dst.qmp"), migration = dir.File("mig.sock");
        using var source = TestMachines.LaunchVnvdimm([.. Machine(dir.File("src.img"), ""), "-qmp", $"unix:{qmpPath},server=on,wait=off"]);
        using var destination = TestMachines.LaunchVnvdimm([.. Machine(dir.File("dst.img"), ""), "-qmp", $"unix:{destinationQmp},server=on,wait=off",
            "-incoming", $"unix:{migration}"]);
        try
        {
            using var qmp = QmpClient.ConnectUnix(qmpPath);
            using (QmpClient.ConnectUnix(destinationQmp))
            {
            }
            using (var f = new FileStream(dir.File("src.img"), FileMode.Open))
                f.SetLength(1 << 20);
            qmp.Execute("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":0}}");
            Assert.NotNull(qmp.Execute($"{{\"execute\":\"migrate\",\"arguments\":{{\"uri\":\"unix:{migration}\"}}}}")["return"]);
            System.Text.Json.Nodes.JsonNode info;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            do
            {
                info = qmp.Execute("{\"execute\":\"query-migrate\"}")["return"]!;
                Thread.Sleep(20);
            }
            while (info["status"]!.GetValue<string>() is not ("failed" or "completed") && DateTime.UtcNow < deadline);
            Assert.Equal("failed", info["status"]!.GetValue<string>());
            Assert.Contains("truncated", info["error-desc"]!.GetValue<string>());
            Assert.True(destination.WaitForExit(10_000));
            Assert.Equal(1, destination.ExitCode); // the destination never claims the copy
            Assert.Equal("running", qmp.Execute("{\"execute\":\"query-status\"}")["return"]!["status"]!.GetValue<string>());
        }
        finally
        {
            TestMachines.Stop(source);
            TestMachines.Stop(destination);
        }
    }
}
