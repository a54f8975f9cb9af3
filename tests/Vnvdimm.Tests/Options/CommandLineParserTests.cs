using Vnvdimm.Options;

namespace Vnvdimm.Tests.Options;

public sealed class CommandLineParserTests
{
    private static MachineConfiguration Parse(params string[] args) => CommandLineParser.Parse(args).Configuration;

    [Fact]
    public void Reads_a_full_nvdimm_command_line()
    {
        var c = Parse("-machine", "q35,nvdimm=on,nvdimm-persistence=mem-ctrl,accel=kvm", "-m", "4G,slots=4,maxmem=32G",
            "-object", "memory-backend-file,id=mem1,share=on,mem-path=/tmp/x.img,size=4G,align=2M,pmem=on,readonly=off,discard-data=on,prealloc=off",
            "-device", "nvdimm,id=nv1,memdev=mem1,label-size=256K,unarmed=off,uuid=2b1ff0b5-0d3a-4b3c-9a5c-0ef1ad2b1a43,slot=3,node=0,addr=0x240000000",
            "-qtest", "unix:/tmp/q.sock,server=on,wait=off", "-qtest-log", "/dev/null", "-S", "-nodefaults", "-display", "none", "-name", "g1");
        Assert.Equal(ChipsetKind.Q35, c.Machine.Chipset);
        Assert.True(c.Machine.Nvdimm);
        Assert.Equal(PersistenceDomain.MemoryController, c.Machine.Persistence);
        Assert.Equal(new MemoryOptions(4UL << 30, 4, 32UL << 30), c.Memory);
        var b = Assert.Single(c.Backends);
        Assert.Equal(("mem1", "/tmp/x.img", 4UL << 30, 2UL << 20), (b.Id, b.MemPath, b.Size, b.Align));
        Assert.True(b.Share && b.Pmem && b.DiscardData && !b.Readonly && !b.Prealloc);
        var d = Assert.Single(c.Nvdimms);
        Assert.Equal(("nv1", "mem1", 256UL << 10, 3, 0x240000000UL), (d.Id, d.Memdev, d.LabelSize, d.Slot, d.Addr));
        Assert.Equal(Guid.Parse("2b1ff0b5-0d3a-4b3c-9a5c-0ef1ad2b1a43"), d.Uuid);
        Assert.Equal(new EndpointOptions(EndpointKind.UnixServer, new SocketUri.Unix("/tmp/q.sock")), c.Qtest);
        Assert.True(c.StartStopped);
        Assert.Equal("g1", c.Name);
    }

    [Fact]
    public void Memory_without_suffix_is_mebibytes_but_maxmem_is_bytes()
    {
        var c = Parse("-m", "512,slots=1,maxmem=1073741824");
        Assert.Equal(512UL << 20, c.Memory.RamSize);
        Assert.Equal(1UL << 30, c.Memory.MaxMem);
    }

    [Fact]
    public void Defaults_are_qemus()
    {
        var c = Parse();
        Assert.Equal(ChipsetKind.Pc, c.Machine.Chipset);
        Assert.False(c.Machine.Nvdimm);
        Assert.Equal(128UL << 20, c.Memory.RamSize);
        Assert.Equal(c.Memory.RamSize, c.Memory.MaxMem);
    }

    [Theory]
    [InlineData("-h", CommandLineAction.Help)]
    [InlineData("-help", CommandLineAction.Help)]
    [InlineData("--help", CommandLineAction.Help)]
    [InlineData("-version", CommandLineAction.Version)]
    public void Help_and_version(string arg, CommandLineAction action) => Assert.Equal(action, CommandLineParser.Parse([arg]).Action);

    // Each refused for its own reason, not for whatever else a parse could trip on.
    [Theory]
    [InlineData("-qmp", "tcp:localhost:4444", "add server=on,wait=off")]
    [InlineData("-monitor", "vc", "chardev 'vc' is not supported here")]
    [InlineData("-qmp", "unix:/tmp/x,server=on", "does not wait for a client before starting: add wait=off")]
    [InlineData("-incoming", "exec:cat", "unknown migration protocol: exec:cat")]
    [InlineData("-hda", "disk.img", "invalid option")]
    [InlineData("-display", "gtk", "has no display: use -display none")]
    [InlineData("-machine", "pc,max-ram-below-4g=2G", "Property 'pc-i440fx-7.2-machine.max-ram-below-4g' not found")]
    [InlineData("-machine", "pc-i440fx-2.0", "unsupported machine type 'pc-i440fx-2.0'")]
    [InlineData("-numa", "dist,src=0,dst=1,val=20", "Parameter 'type' does not accept value 'dist'")]
    [InlineData("-qtest", "tcp:localhost:4444", "add server=on,wait=off")]
    public void Refuses_what_it_does_not_implement(string option, string value, string reason) =>
        Assert.Contains(reason, Assert.Throws<ConfigurationException>(() => Parse(option, value)).Message);

    [Fact]
    public void Monitor_endpoints_unix_tcp_stdio_and_none()
    {
        var c = Parse("-qmp", "unix:/tmp/q.sock,server=on,wait=off", "-qmp", "tcp::4444,server,nowait",
            "-monitor", "stdio", "-monitor", "none", "-qtest", "unix:/tmp/t.sock");
        Assert.Equal([new EndpointOptions(EndpointKind.UnixServer, new SocketUri.Unix("/tmp/q.sock")), new EndpointOptions(EndpointKind.TcpServer, new SocketUri.Inet("", 4444))], c.Qmp);
        Assert.Equal([new EndpointOptions(EndpointKind.Stdio)], c.Monitors);
        Assert.Equal(new EndpointOptions(EndpointKind.UnixClient, new SocketUri.Unix("/tmp/t.sock")), c.Qtest);
    }

    [Fact]
    public void Stdio_serves_one_endpoint_only() =>
        Assert.Equal("cannot use stdio by multiple character devices",
            Assert.Throws<ConfigurationException>(() => Parse("-qtest", "stdio", "-qmp", "stdio")).Message);

    [Fact]
    public void Missing_argument_is_an_error() =>
        Assert.Equal("-m: requires an argument", Assert.Throws<ConfigurationException>(() => Parse("-m")).Message);
}
