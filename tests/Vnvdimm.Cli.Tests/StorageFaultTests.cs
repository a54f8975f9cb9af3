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
}
