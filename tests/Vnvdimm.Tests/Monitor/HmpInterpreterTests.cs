namespace Vnvdimm.Tests.Monitor;

public sealed class HmpInterpreterTests
{
    [Fact]
    public void Hotplug_through_hmp_prints_nothing_on_success_and_shows_in_info_memory_devices()
    {
        using var m = new MonitorMachine();
        string path = m.Folder.File("m1.img");
        Assert.Equal("", m.Hmp.Execute($"object_add memory-backend-file,id=m1,share=on,mem-path={path},size=16M").Output);
        Assert.Equal("", m.Hmp.Execute("device_add nvdimm,id=nv1,memdev=m1,label-size=128K").Output);
        string info = m.Hmp.Execute("info memory-devices").Output;
        Assert.Equal(
            "Memory device [nvdimm]: \"nv0\"\r\n  addr: 0x100000000\r\n  slot: 0\r\n  node: 0\r\n" +
            "  size: 16646144\r\n  memdev: /objects/m0\r\n  hotplugged: false\r\n  hotpluggable: true\r\n" +
            "Memory device [nvdimm]: \"nv1\"\r\n  addr: 0x100fe0000\r\n  slot: 1\r\n  node: 0\r\n" +
            "  size: 16646144\r\n  memdev: /objects/m1\r\n  hotplugged: true\r\n  hotpluggable: true\r\n",
            info);
        Assert.True(m.Machine.Gpe.IsRaised(4));
    }

    [Fact]
    public void Errors_print_as_QEMU_prints_them_and_the_monitor_goes_on()
    {
        using var m = new MonitorMachine();
        Assert.Equal("Error: nvdimm device hot unplug is not supported yet.\r\n", m.Hmp.Execute("device_del nv0").Output);
        Assert.Equal("Error: object 'm0' is in use, can not be deleted\r\n", m.Hmp.Execute("object_del m0").Output);
        Assert.Equal("unknown command: 'bogus'\r\n", m.Hmp.Execute("bogus").Output);
        Assert.Equal("Error: Property 'nvdimm.label-size' (0x10000) is required at least 0x20000\r\n",
            m.Hmp.Execute("device_add nvdimm,memdev=m0,label-size=64K").Output);
        Assert.Equal("VM status: paused (prelaunch)\r\n", m.Hmp.Execute("info status").Output);
    }

    [Fact]
    public void Info_memdev_status_and_quit()
    {
        using var m = new MonitorMachine();
        string memdev = m.Hmp.Execute("info memdev").Output;
        Assert.StartsWith("memory backend: pc.ram\r\n  size:  67108864\r\n", memdev);
        Assert.Contains("memory backend: m0\r\n  size:  16777216\r\n  merge: false\r\n" +
            "  dump: true\r\n  prealloc: false\r\n  share: true\r\n", memdev);
        Assert.EndsWith("  host nodes: \r\n\r\n", memdev);
        m.Hmp.Execute("c");
        Assert.Equal("VM status: running\r\n", m.Hmp.Execute("info status").Output);
        m.Hmp.Execute("stop");
        Assert.Equal("VM status: paused\r\n", m.Hmp.Execute("info status").Output);
        Assert.True(m.Hmp.Execute("quit").Quit);
        Assert.True(m.Machine.ShutdownRequested.IsCompleted);
    }

    [Fact]
    public void Help_lists_every_command_in_QEMUs_layout_and_qom_commands_work()
    {
        using var m = new MonitorMachine();
        string help = m.Hmp.Execute("help").Output;
        foreach (string command in new[] { "object_add", "object_del", "device_add", "device_del", "info", "quit|q", "help|?" })
            Assert.Contains($"\r\n{command} ", "\r\n" + help);
        Assert.Equal("device_add driver[,prop=value][,...] -- add device, like -device on the command line\r\n",
            m.Hmp.Execute("help device_add").Output);
        Assert.Equal("131072\r\n", m.Hmp.Execute("qom-get nv0 label-size").Output);
        Assert.Contains("label-size (int)\r\n", m.Hmp.Execute("qom-list /machine/peripheral/nv0").Output);
        Assert.Equal("", m.Hmp.Execute("qom-set m0 discard-data on").Output);
        Assert.True(m.Machine.Backends[0].DiscardData);
        m.Hmp.Execute("qom-set m0 discard-data off");
    }

    [Fact]
    public void Migrate_takes_off_only_a_leading_detach_flag()
    {
        using var m = new MonitorMachine();
        Assert.Equal("", m.Hmp.Execute("migrate -d unix:/nonexistent/x-dir/-d.sock").Output);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (m.Monitor.Migration.Active && DateTime.UtcNow < deadline)
            Thread.Sleep(10);
        var info = m.Monitor.Migration.Info();
        Assert.Equal(Vnvdimm.Migration.MigrationStatus.Failed, info.Status);
        // the URI whole, and QEMU's words
        Assert.Equal("Failed to connect to '/nonexistent/x-dir/-d.sock': No such file or directory", info.ErrorDesc);
    }
}
