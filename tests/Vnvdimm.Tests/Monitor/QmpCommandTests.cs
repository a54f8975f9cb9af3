using System.Text.Json.Nodes;
using Vnvdimm.Dsm;
using Vnvdimm.Vmm;

namespace Vnvdimm.Tests.Monitor;

public sealed class QmpCommandTests
{
    [Fact]
    public void Commands_wait_for_capabilities_negotiation_and_negotiation_happens_once()
    {
        using var m = new MonitorMachine();
        var fresh = new Vnvdimm.Monitor.Qmp.QmpSession(new Vnvdimm.Monitor.Qmp.QmpCommands(m.Monitor), m.Monitor);
        var early = fresh.Answer(new("{\"execute\":\"query-status\",\"id\":7}", null));
        Assert.Equal("CommandNotFound", early["error"]!["class"]!.GetValue<string>());
        Assert.Equal(7, early["id"]!.GetValue<int>());
        Assert.Equal(("CommandNotFound", "Capabilities negotiation is already complete, command ignored"), m.Error("{'execute':'qmp_capabilities'}"));
    }

    [Theory]
    [InlineData("[1]", "QMP input must be a JSON object")]
    [InlineData("{'exec':'x'}", "QMP input member 'exec' is unexpected")]
    [InlineData("{'execute':1}", "QMP input member 'execute' must be a string")]
    [InlineData("{'execute':'query-status','arguments':[]}", "QMP input member 'arguments' must be an object")]
    [InlineData("{'execute':'query-status','arguments':{'a':1}}", "Parameter 'a' is unexpected")]
    [InlineData("{'execute':'query-status','execute':'quit'}", "JSON parse error, duplicate key")]
    [InlineData("{'execute':'query-status',}", "JSON parse error, expecting value")]
    [InlineData("{'id':1}", "QMP input lacks member 'execute'")]
    [InlineData("{'execute':'qom-get','arguments':{'path':1,'property':'x'}}", "Invalid parameter type for 'path', expected: string")]
    [InlineData("{'execute':'qom-get','arguments':{'path':'nv0'}}", "Parameter 'property' is missing")]
    public void Malformed_requests_get_QEMUs_generic_errors(string json, string desc)
    {
        using var m = new MonitorMachine();
        Assert.Equal(("GenericError", desc), m.Error(json.Replace('\'', '"')));
    }

    [Fact]
    public void Unknown_commands_are_CommandNotFound_and_the_id_is_echoed_whatever_its_type()
    {
        using var m = new MonitorMachine();
        var answer = m.Qmp("{\"execute\":\"nope\",\"id\":{\"a\":[1,2]}}");
        Assert.Equal("The command nope has not been found", answer["error"]!["desc"]!.GetValue<string>());
        Assert.Equal("{\"a\":[1,2]}", answer["id"]!.ToJsonString());
    }

    [Fact]
    public void Query_memory_devices_has_QEMUs_shape()
    {
        using var m = new MonitorMachine();
        var device = Assert.Single(m.Return("{\"execute\":\"query-memory-devices\"}")!.AsArray())!;
        Assert.Equal("nvdimm", device["type"]!.GetValue<string>());
        var data = device["data"]!;
        Assert.Equal("nv0", data["id"]!.GetValue<string>());
        Assert.Equal(1UL << 32, data["addr"]!.GetValue<ulong>());
        Assert.Equal((16UL << 20) - (128 << 10), data["size"]!.GetValue<ulong>());
        Assert.Equal("/objects/m0", data["memdev"]!.GetValue<string>());
        Assert.False(data["hotplugged"]!.GetValue<bool>());
        Assert.True(data["hotpluggable"]!.GetValue<bool>());
    }

    [Fact]
    public void Hotplug_maps_the_backend_rebuilds_the_fit_marks_it_changed_and_raises_gpe_bit_4()
    {
        using var m = new MonitorMachine();
        var dsm = new DsmCaller(m.Machine);
        // A guest has started reading the FIT before the plug...
        Assert.Equal(0u, dsm.ReadFit(0).Status);
        string path = m.AddBackend("m1");
        Assert.Empty(m.Return("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvdimm\",\"id\":\"nv1\"," +
            "\"memdev\":\"m1\",\"label-size\":\"128K\"}}")!.AsObject());

        // ...so its next read in that sequence is told the FIT changed, and a restart sees two devices.
        Assert.Equal(0x100u, dsm.ReadFit(0x40).Status);
        var (status, fit) = dsm.ReadFit(0);
        Assert.Equal(0u, status);
        Assert.Equal(2, CountSpaRanges(fit));
        Assert.True(m.Machine.Gpe.IsRaised(4));
        Assert.Equal(0x10u, m.Machine.Io.Read(0xafe0, 2));

        var nv1 = m.Machine.Nvdimms.Single(d => d.Id == "nv1");
        Assert.Equal((1, (1UL << 32) + (16UL << 20) - (128 << 10)), (nv1.Slot, nv1.Address));
        Assert.True(nv1.Hotplugged);
        m.Machine.Memory.Write(nv1.Address, "hot"u8);
        using (var file = File.OpenRead(path))
        {
            var head = new byte[3];
            file.ReadExactly(head);
            Assert.Equal("hot"u8.ToArray(), head);
        }
    }

    [Fact]
    public void A_failed_device_add_takes_no_slot_and_raises_no_event()
    {
        using var m = new MonitorMachine();
        m.AddBackend("m1");
        Assert.Equal(("GenericError", "can't use already busy memdev: m0"),
            m.Error("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvdimm\",\"memdev\":\"m0\"}}"));
        Assert.Equal(("GenericError", "Property 'nvdimm.label-size' (0x3e8) is required at least 0x20000"),
            m.Error("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvdimm\",\"memdev\":\"m1\",\"label-size\":1000}}"));
        Assert.Equal(("GenericError", "invalid slot number 9, valid range is [0-2]"),
            m.Error("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvdimm\",\"memdev\":\"m1\",\"slot\":9}}"));
        Assert.Equal(("DeviceNotFound", "Device 'nope' not found"),
            m.Error("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvdimm\",\"memdev\":\"nope\"}}"));
        Assert.Equal(("GenericError", "Duplicate device ID 'nv0'"),
            m.Error("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvdimm\",\"id\":\"nv0\",\"memdev\":\"m1\"}}"));
        m.AddBackend("big", size: (4UL << 30).ToString());
        Assert.StartsWith("not enough space, currently 0xfe0000 in use of total space for memory devices",
            m.Error("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvdimm\",\"memdev\":\"big\"}}").Desc);
        Assert.False(m.Machine.Gpe.IsRaised(4));
        Assert.Single(m.Machine.Nvdimms);

        // The slot the failures did not take is the one the next success gets.
        m.Return("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvdimm\",\"memdev\":\"m1\"}}");
        Assert.Equal(1, m.Machine.Nvdimms[1].Slot);
    }

    [Fact]
    public void No_free_slot_and_unplug_are_refused_with_QEMUs_messages()
    {
        using var m = new MonitorMachine();
        for (int i = 1; i <= 3; i++)
            m.AddBackend($"m{i}");
        m.Return("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvdimm\",\"memdev\":\"m1\"}}");
        m.Return("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvdimm\",\"id\":\"nv2\",\"memdev\":\"m2\"}}");
        Assert.Equal(("GenericError", "no free slots available"),
            m.Error("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"nvdimm\",\"memdev\":\"m3\"}}"));
        Assert.Equal(("GenericError", "nvdimm device hot unplug is not supported yet."),
            m.Error("{\"execute\":\"device_del\",\"arguments\":{\"id\":\"nv2\"}}"));
        Assert.Equal(("DeviceNotFound", "Device 'zz' not found"), m.Error("{\"execute\":\"device_del\",\"arguments\":{\"id\":\"zz\"}}"));
        Assert.Equal(("GenericError", "object 'm2' is in use, can not be deleted"),
            m.Error("{\"execute\":\"object-del\",\"arguments\":{\"id\":\"m2\"}}"));
        m.Return("{\"execute\":\"object-del\",\"arguments\":{\"id\":\"m3\"}}");
        Assert.Equal(("GenericError", "object 'm3' not found"), m.Error("{\"execute\":\"object-del\",\"arguments\":{\"id\":\"m3\"}}"));
    }

    [Theory]
    [InlineData("{'qom-type':'memory-backend-file','id':'m0','mem-path':'PATH','size':1048576}",
        "attempt to add duplicate property 'm0' to object (type 'container')")]
    [InlineData("{'qom-type':'memory-backend-file','id':'x','size':1048576}", "Parameter 'mem-path' is missing")]
    [InlineData("{'qom-type':'foo','id':'x'}", "Parameter 'qom-type' does not accept value 'foo'")]
    [InlineData("{'qom-type':'memory-backend-ram','id':'x','size':'1G'}", "Parameter 'size' expects uint64")]
    [InlineData("{'qom-type':'memory-backend-ram','id':'x','size':0}", "property 'size' of memory-backend-ram doesn't take value '0'")]
    [InlineData("{'qom-type':'memory-backend-ram','id':'x','size':1048576,'share':'yes'}", "Invalid parameter type for 'share', expected: boolean")]
    [InlineData("{'qom-type':'memory-backend-ram','id':'x','size':1048576,'bogus':1}", "Parameter 'bogus' is unexpected")]
    public void Object_add_is_typed_and_creates_no_file_when_it_fails(string arguments, string desc)
    {
        using var m = new MonitorMachine();
        string path = m.Folder.File("new.img");
        var before = Directory.GetFiles(m.Folder.Path).Order().ToList();
        Assert.Equal(("GenericError", desc),
            m.Error($"{{\"execute\":\"object-add\",\"arguments\":{arguments.Replace("PATH", path).Replace('\'', '"')}}}"));
        Assert.Equal(before, Directory.GetFiles(m.Folder.Path).Order().ToList());
    }

    [Fact]
    public void Qom_reads_device_and_backend_properties_and_refuses_changes_after_realize()
    {
        using var m = new MonitorMachine();
        Assert.Equal(131072UL, m.Return("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"nv0\",\"property\":\"label-size\"}}")!.GetValue<ulong>());
        Assert.Equal("/objects/m0",
            m.Return("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/nv0\",\"property\":\"memdev\"}}")!.GetValue<string>());
        Assert.Equal(m.Folder.File("nv0.img"),
            m.Return("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"m0\",\"property\":\"mem-path\"}}")!.GetValue<string>());
        var names = m.Return("{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"nv0\"}}")!.AsArray()
            .Select(p => p!["name"]!.GetValue<string>()).ToList();
        Assert.Superset(new HashSet<string> { "label-size", "unarmed", "uuid", "slot", "addr", "size", "memdev", "node" }, names.ToHashSet());

        Assert.Equal("Attempt to set property 'slot' on device 'nv0' (type 'nvdimm') after it was realized",
            m.Error("{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"nv0\",\"property\":\"slot\",\"value\":2}}").Desc);
        Assert.Equal("cannot change property value",
            m.Error("{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"nv0\",\"property\":\"label-size\",\"value\":262144}}").Desc);
        Assert.Equal("Property 'nvdimm.size' is not writable",
            m.Error("{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"nv0\",\"property\":\"size\",\"value\":1}}").Desc);
        Assert.Equal("Property 'nvdimm.nope' not found",
            m.Error("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"nv0\",\"property\":\"nope\"}}").Desc);
        Assert.Equal(("DeviceNotFound", "Device '/machine/peripheral/zz' not found"),
            m.Error("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/zz\",\"property\":\"size\"}}"));
        Assert.Equal("cannot change property 'mem-path' of memory-backend-file",
            m.Error("{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"m0\",\"property\":\"mem-path\",\"value\":\"x\"}}").Desc);
        // What QEMU lets change at run time changes here too.
        m.Return("{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"nv0\",\"property\":\"uuid\"," +
            "\"value\":\"11111111-2222-3333-4444-555555555555\"}}");
        Assert.Equal("11111111-2222-3333-4444-555555555555",
            m.Return("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"nv0\",\"property\":\"uuid\"}}")!.GetValue<string>());
    }

    [Fact]
    public void Stop_cont_and_quit_change_the_run_state_and_emit_QEMUs_events()
    {
        using var m = new MonitorMachine();
        var events = new List<MachineEvent>();
        using var subscription = m.Machine.Events.Subscribe(events.Add);
        Assert.Equal("prelaunch", m.Return("{\"execute\":\"query-status\"}")!["status"]!.GetValue<string>());
        m.Return("{\"execute\":\"cont\"}");
        Assert.True(m.Return("{\"execute\":\"query-status\"}")!["running"]!.GetValue<bool>());
        m.Return("{\"execute\":\"stop\"}");
        m.Return("{\"execute\":\"stop\"}"); // already paused: no second event
        Assert.Equal("paused", m.Return("{\"execute\":\"query-status\"}")!["status"]!.GetValue<string>());
        m.Return("{\"execute\":\"quit\"}");
        Assert.Equal(["RESUME", "STOP", "SHUTDOWN"], events.Select(e => e.Name));
        Assert.Equal("host-qmp-quit", ((ShutdownEvent)events[^1]).Reason);
        Assert.True(m.Machine.ShutdownRequested.IsCompleted);
    }

    private static int CountSpaRanges(byte[] fit)
    {
        int count = 0;
        for (int at = 0; at + 4 <= fit.Length;)
        {
            ushort type = BitConverter.ToUInt16(fit, at), length = BitConverter.ToUInt16(fit, at + 2);
            if (type == 0)
                count++;
            at += length;
        }
        return count;
    }

    /// <summary>Read FIT through the machine's DSM port, as a guest does.</summary>
    private sealed class DsmCaller(Machine machine)
    {
        private const ulong Page = 0x100000;

        public (uint Status, byte[] Fit) ReadFit(uint offset)
        {
            var page = new byte[4096];
            BitConverter.TryWriteBytes(page.AsSpan(0), DsmLayout.ReservedRootHandle);
            BitConverter.TryWriteBytes(page.AsSpan(4), 1u);
            BitConverter.TryWriteBytes(page.AsSpan(8), 1u);
            BitConverter.TryWriteBytes(page.AsSpan(12), offset);
            machine.Memory.Write(Page, page);
            machine.Io.Write(DsmLayout.IoPort, 4, (uint)Page);
            machine.Memory.Read(Page, page);
            uint length = BitConverter.ToUInt32(page, 0);
            uint status = BitConverter.ToUInt32(page, 4);
            return (status, page[8..(int)Math.Max(8, length)]);
        }
    }

    /// <summary>
    /// A migrate to an address no protocol takes leaves the migration failed, as QEMU: without the counters of an earlier
    /// attempt, and with the reason only when the address (not the protocol) was wrong.
    /// </summary>
    [Fact]
    public void A_bad_migrate_address_leaves_a_failed_migration_of_its_own()
    {
        using var m = new MonitorMachine();
        int closed = FreePort();
        Assert.NotNull(m.Return($"{{\"execute\":\"migrate\",\"arguments\":{{\"uri\":\"tcp:127.0.0.1:{closed}\"}}}}"));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (m.Return("{\"execute\":\"query-migrate\"}")!["status"]!.GetValue<string>() != "failed" && DateTime.UtcNow < deadline)
            Thread.Sleep(10);
        Assert.Equal(("GenericError", "Parameter 'uri' expects a valid migration protocol"),
            m.Error("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"bogus:1\"}}"));
        Assert.Equal("""{"status":"failed"}""", m.Return("{\"execute\":\"query-migrate\"}")!.ToJsonString());
        Assert.Equal(("GenericError", "error parsing address 'nohost'"),
            m.Error("{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:nohost\"}}"));
        var failed = m.Return("{\"execute\":\"query-migrate\"}")!.AsObject();
        Assert.Equal(["status", "error-desc"], failed.Select(p => p.Key));
        Assert.Equal("error parsing address 'nohost'", failed["error-desc"]!.GetValue<string>());
    }

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }
}
