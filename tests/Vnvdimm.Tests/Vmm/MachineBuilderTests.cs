using Vnvdimm.Options;
using Vnvdimm.Platform.FwCfg;
using Vnvdimm.Vmm;

namespace Vnvdimm.Tests.Vmm;

public sealed class MachineBuilderTests
{
    private static Machine Build(params string[] args) => MachineBuilder.Build(CommandLineParser.Parse(args).Configuration, new TestLogger());

    [Fact]
    public void Guest_writes_to_the_nvdimm_region_land_at_the_start_of_the_backing_file()
    {
        using var dir = new Scratch();
        string path = dir.File("nv.img");
        using (var machine = Build("-machine", "pc,nvdimm=on", "-m", "256M,slots=2,maxmem=4G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={path},size=64M",
            "-device", "nvdimm,id=n0,memdev=m0,label-size=128K"))
        {
            var nvdimm = Assert.Single(machine.Nvdimms);
            Assert.Equal(1UL << 32, nvdimm.Address);
            Assert.Equal((64UL << 20) - (128 << 10), nvdimm.RegionSize);
            Assert.Equal((64UL << 20) - (128 << 10), nvdimm.LabelOffset);
            machine.Memory.Write(nvdimm.Address + 4096, "persist"u8);
            // The label area is not guest-visible memory: the region ends before it.
            machine.Memory.Write(nvdimm.Address + nvdimm.RegionSize, "label"u8);
        }
        byte[] file = File.ReadAllBytes(path);
        Assert.Equal("persist"u8.ToArray(), file[4096..4103]);
        Assert.All(file[^(128 << 10)..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void A_symlinked_mem_path_is_sized_by_its_target()
    {
        using var dir = new Scratch();
        using (var f = File.Create(dir.File("target.img")))
            f.SetLength(16 << 20);
        File.CreateSymbolicLink(dir.File("link.img"), dir.File("target.img"));
        using var machine = Build("-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("link.img")},size=16M");
        Assert.Equal(16UL << 20, Assert.Single(machine.Backends).Size);
    }

    [Fact]
    public void Ram_is_mapped_below_and_above_4g()
    {
        using var machine = Build("-machine", "q35", "-m", "3G");
        Span<byte> buffer = stackalloc byte[1];
        machine.Memory.Write((2UL << 30) - 1, [1]);
        machine.Memory.Write(1UL << 32, [2]);
        machine.Memory.Write((1UL << 32) + (1UL << 30) - 1, [3]);
        machine.Memory.Write((1UL << 32) + (1UL << 30), [4]); // past RAM: dropped
        machine.Memory.Read((2UL << 30) - 1, buffer);
        Assert.Equal(1, buffer[0]);
        machine.Memory.Read((1UL << 32) + (1UL << 30) - 1, buffer);
        Assert.Equal(3, buffer[0]);
        machine.Memory.Read((1UL << 32) + (1UL << 30), buffer);
        Assert.Equal(0, buffer[0]);
    }

    [Fact]
    public void A_failing_backend_removes_the_files_created_before_it()
    {
        using var dir = new Scratch();
        Directory.CreateDirectory(dir.File("a-directory"));
        var e = Assert.Throws<ConfigurationException>(() => Build(
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("new.img")},size=8M",
            "-object", $"memory-backend-file,id=m1,share=on,mem-path={dir.File("a-directory")},size=8M"));
        Assert.Contains("can't open backing store", e.Message);
        Assert.False(File.Exists(dir.File("new.img")));
    }

    [Fact]
    public void Fw_cfg_publishes_the_acpi_files_and_the_dsm_page_only_with_nvdimm_on()
    {
        using (var plain = Build("-m", "128M"))
            Assert.Equal([FwCfgFileNames.Rsdp, FwCfgFileNames.AcpiTables, FwCfgFileNames.TableLoader], plain.FwCfg.FileNames);
        using var nv = Build("-machine", "pc,nvdimm=on", "-m", "128M,slots=1,maxmem=1G");
        Assert.Contains(FwCfgFileNames.NvdimmDsmPage, nv.FwCfg.FileNames);
    }

    [Fact]
    public void Numa_memdevs_become_guest_ram_in_node_order()
    {
        using var dir = new Scratch();
        using var machine = Build("-m", "64M",
            "-object", $"memory-backend-file,id=r0,share=on,mem-path={dir.File("r0.img")},size=32M",
            "-object", $"memory-backend-file,id=r1,share=on,mem-path={dir.File("r1.img")},size=32M",
            "-numa", "node,nodeid=1,memdev=r0", "-numa", "node,nodeid=0,memdev=r1");
        machine.Memory.Write(0, [0x10]);
        machine.Memory.Write(32UL << 20, [0x20]);
        Assert.Equal(0x10, File.ReadAllBytes(dir.File("r1.img"))[0]);
        Assert.Equal(0x20, File.ReadAllBytes(dir.File("r0.img"))[0]);
    }

    [Theory]
    [InlineData("numa: Node ID missing: 0", "-m", "64M", "-numa", "node,nodeid=1,memdev=r0")]
    [InlineData("total memory for NUMA nodes (0x2000000) should equal RAM size (0x8000000)", "-m", "128M", "-numa", "node,memdev=r0")]
    public void Numa_errors_are_qemus(string message, params string[] args)
    {
        using var dir = new Scratch();
        var e = Assert.Throws<ConfigurationException>(() => Build([.. args, "-object", $"memory-backend-ram,id=r0,size=32M"]));
        Assert.Equal(message, e.Message);
    }
}
