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
            "-device", "nvdimm,id=nv1,memdev=mem1,label-size=256K,unarmed=off," +
                "uuid=2b1ff0b5-0d3a-4b3c-9a5c-0ef1ad2b1a43,slot=3,node=0,addr=0x240000000",
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
        Assert.Equal(new EndpointOptions(EndpointKind.Server, new SocketUri.Unix("/tmp/q.sock"), "-qtest unix:/tmp/q.sock,server=on,wait=off"),
            c.Qtest);
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
    [InlineData("-monitor", "vc", "chardev 'vc' is not supported here")]
    [InlineData("-qmp", "unix:/tmp/x,server=on", "does not wait for a client before starting: add wait=off")]
    [InlineData("-incoming", "exec:cat", "unknown migration protocol: exec:cat")]
    [InlineData("-hda", "disk.img", "invalid option")]
    [InlineData("-display", "gtk", "has no display: use -display none")]
    [InlineData("-machine", "pc,max-ram-below-4g=2G", "Property 'pc-i440fx-7.2-machine.max-ram-below-4g' not found")]
    [InlineData("-machine", "pc-i440fx-2.0", "unsupported machine type")]
    [InlineData("-numa", "dist,src=0,dst=1,val=20", "Parameter 'type' does not accept value 'dist'")]
    public void Refuses_what_it_does_not_implement(string option, string value, string reason) =>
        Assert.Contains(reason, Assert.Throws<ConfigurationException>(() => Parse(option, value)).Message);

    [Fact]
    public void Monitor_endpoints_unix_tcp_stdio_and_none()
    {
        var c = Parse("-qmp", "unix:/tmp/q.sock,server=on,wait=off", "-qmp", "tcp::4444,server,nowait",
            "-monitor", "stdio", "-monitor", "none", "-qtest", "unix:/tmp/t.sock");
        Assert.Equal([(EndpointKind.Server, new SocketUri.Unix("/tmp/q.sock")), (EndpointKind.Server, new SocketUri.Inet("", 4444))],
            c.Qmp.Select(e => (e.Kind, e.Address)));
        Assert.Equal([(EndpointKind.Stdio, (SocketUri?)null)], c.Monitors.Select(e => (e.Kind, e.Address)));
        Assert.Equal((EndpointKind.Client, new SocketUri.Unix("/tmp/t.sock")), (c.Qtest!.Kind, c.Qtest.Address));
    }

    /// <summary>libqtest's own command line: chardevs named by id, monitors attached to them, the qtest accelerator.</summary>
    [Fact]
    public void Chardevs_and_monitors_as_libqtest_writes_them()
    {
        var c = Parse("-qtest", "unix:/tmp/qtest-1.sock", "-qtest-log", "/dev/null",
            "-mon", "chardev=hmp", // a -mon may come before its -chardev
            "-chardev", "socket,path=/tmp/qtest-1.qmp,id=char0", "-mon", "chardev=char0,mode=control",
            "-chardev", "socket,id=hmp,host=localhost,port=4445,server=on,wait=off",
            "-chardev", "socket,id=unused,host=127.0.0.1,port=4446",
            "-display", "none", "-machine", "none", "-accel", "qtest");
        Assert.Equal((EndpointKind.Client, new SocketUri.Unix("/tmp/qtest-1.sock")), (c.Qtest!.Kind, c.Qtest.Address));
        var qmp = Assert.Single(c.Qmp);
        Assert.Equal(
            new EndpointOptions(EndpointKind.Client, new SocketUri.Unix("/tmp/qtest-1.qmp"), "-chardev socket,path=/tmp/qtest-1.qmp,id=char0"),
            qmp);
        var hmp = Assert.Single(c.Monitors);
        Assert.Equal((EndpointKind.Server, new SocketUri.Inet("localhost", 4445)), (hmp.Kind, hmp.Address));
        Assert.Equal(ChipsetKind.None, c.Machine.Chipset);
        // libvirt names its monitors
        Assert.Single(Parse("-chardev", "socket,id=c,path=/tmp/m.sock", "-mon", "chardev=c,id=monitor,mode=control").Qmp);
        Assert.Equal("none", c.Machine.TypeName);
    }

    /// <summary>QEMU 7.2's words for each mistake (checked against the binary by the CLI's differential tests).</summary>
    [Theory]
    [InlineData("-chardev socket,path=/tmp/x", "-chardev socket,path=/tmp/x: chardev: no id specified")]
    [InlineData("-chardev bogus,id=c", "-chardev bogus,id=c: 'bogus' is not a valid char driver name")]
    [InlineData("-chardev socket,id=c", "-chardev socket,id=c: Unable to parse FD number ")]
    [InlineData("-mon chardev=nope", "-mon chardev=nope: chardev \"nope\" not found")]
    [InlineData("-chardev socket,id=c,path=/tmp/a,server=on,wait=off -mon chardev=c,mode=bogus",
        "-mon chardev=c,mode=bogus: Parameter 'mode' does not accept value 'bogus'")]
    [InlineData("-chardev socket,id=c,path=/tmp/a,server=on,wait=off -chardev socket,id=c,path=/tmp/b,server=on,wait=off",
        "-chardev socket,id=c,path=/tmp/b,server=on,wait=off: Duplicate ID 'c' for chardev")]
    [InlineData("-chardev socket,id=c,path=/tmp/a,server=on,wait=off -mon chardev=c -mon chardev=c", "-mon chardev=c: Device 'c' is in use")]
    [InlineData("-accel bogus", "-accel bogus: invalid accelerator bogus")]
    [InlineData("-chardev stdio,id=1c",
        "-chardev stdio,id=1c: Parameter 'id' expects an identifier\nIdentifiers consist of letters, digits, '-', '.', '_', starting with a letter.")]
    [InlineData("-chardev socket,id=c,path=/tmp/x,host=h,port=1",
        "-chardev socket,id=c,path=/tmp/x,host=h,port=1: None or one of 'path', 'fd' or 'host' option required.")]
    [InlineData("-chardev stdio,id=a -chardev stdio,id=b", "-chardev stdio,id=b: cannot use stdio by multiple character devices")]
    [InlineData("-qtest stdio -qmp stdio", "cannot use stdio by multiple character devices\nFailed to initialize device for qtest: \"stdio\"")]
    [InlineData("-chardev socket,id=s0,path=/tmp/s -serial chardev:s0 -serial stdio -monitor stdio",
        "-serial stdio: cannot use stdio by multiple character devices")]
    [InlineData("-machine none,nvdimm=on", "Property 'none-machine.nvdimm' not found")]
    public void Chardev_mistakes_in_qemus_words(string line, string message) =>
        Assert.Equal(message, Assert.Throws<ConfigurationException>(() => Parse(line.Split(' '))).ToString());

    [Theory]
    [InlineData("-machine help", "Supported machines are:\npc ")]
    [InlineData("-machine ?", "Supported machines are:\npc ")]
    [InlineData("-device help", "Storage devices:\nname \"nvdimm\", desc \"DIMM memory module\"\n")]
    [InlineData("-device nvdimm,help", "nvdimm options:\n  addr=<uint64>")]
    [InlineData("-chardev help", "Available chardev backend types: \n  stdio\n  socket\n")]
    [InlineData("-object memory-backend-file,help", "memory-backend-file options:\n  align=<int>\n")]
    [InlineData("-object memory-backend-ram,help", "memory-backend-ram options:\n  prealloc=<bool>")]
    [InlineData("-object help", "List of user creatable objects:\n  memory-backend-file\n  memory-backend-ram\n")]
    [InlineData("-accel help", "Accelerators supported in QEMU binary:\n")]
    public void Help_requests_print_and_run_nothing(string line, string start)
    {
        var parsed = CommandLineParser.Parse(line.Split(' '));
        Assert.Equal(CommandLineAction.Print, parsed.Action);
        Assert.StartsWith(start, parsed.Output);
    }

    [Fact]
    public void Stdio_serves_one_endpoint_only() =>
        Assert.Equal("cannot use stdio by multiple character devices",
            Assert.Throws<ConfigurationException>(() => Parse("-qtest", "stdio", "-qmp", "stdio")).Message);

    [Fact]
    public void Missing_argument_is_an_error() =>
        Assert.Equal("-m: requires an argument", Assert.Throws<ConfigurationException>(() => Parse("-m")).Message);
}
