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
            Assert.False(qmp.Execute("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/objects/m0\",\"property\":\"prealloc\"}}")["return"]!.GetValue<bool>());
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

    [SkippableFact]
    public void A_full_filesystem_fails_the_write_that_needs_room_and_loses_nothing_acknowledged()
    {
        using var small = new SmallFilesystem(8);
        string image = small.File("nv.img");
        using var machine = TestMachines.StartVnvdimm([.. Machine(image, ""), "-S"]);
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

    [SkippableTheory]
    [InlineData("share=on")]
    [InlineData("share=off")]
    public void A_backing_file_truncated_while_running_fails_the_accesses_beyond_its_end_and_nothing_else(string share)
    {
        using var dir = new TempFolder();
        string image = dir.File("nv.img");
        using var machine = TestMachines.StartVnvdimm([.. Machine(image, "").Select(a => a.Replace("share=on", share, StringComparison.Ordinal)), "-S"]);
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
