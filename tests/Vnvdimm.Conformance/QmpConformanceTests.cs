using System.Text.Json.Nodes;
using Vnvdimm.Guest.Acpi;
using Vnvdimm.Guest.Dsm;
using Vnvdimm.Guest.Transport;
using Vnvdimm.Testing;

namespace Vnvdimm.Conformance;

/// <summary>
/// One QMP session, error cases included, played against QEMU and against vnvdimm; the answers are
/// compared field by field. Values that differ legitimately are named here and nowhere else: the
/// version, the backends' merge/reserve flags (vnvdimm reports its own mapping), and qom-list,
/// where vnvdimm offers a subset of QEMU's properties (those of memory devices) with the same types.
/// </summary>
public sealed class QmpConformanceTests
{
    private const ulong DsmPage = 0x100000;

    private static string[] MachineArgs(TempFolder dir, string machine) =>
    [
        "-machine", $"{machine},nvdimm=on,nvdimm-persistence=cpu", "-m", "512M,slots=4,maxmem=8G",
        "-object", $"memory-backend-file,id=mem0,share=on,mem-path={dir.File("nv0.img")},size=1G",
        "-device", "nvdimm,id=nv0,memdev=mem0,label-size=128K",
        "-qmp", $"unix:{dir.File("qmp.sock")},server=on,wait=off",
    ];

    /// <summary>The session: "$DIR" is each machine's own folder.</summary>
    private static readonly string[] Session =
    [
        """{"execute":"query-status","id":0}""",
        """{"execute":"qmp_capabilities","id":1}""",
        """{"execute":"qmp_capabilities"}""",
        """{"execute":"query-status","id":"x"}""",
        """garbage""",
        """[1]""",
        """{"exec":"x"}""",
        """{"execute":1}""",
        """{"execute":"query-version","arguments":{"a":1}}""",
        """{"execute":"query-version","arguments":[]}""",
        """{"execute":"nope","id":[1]}""",
        """{"execute":"query-status","execute":"query-version"}""",
        """{'execute':'query-status','id':{'a':[1,2]}}""",
        """{"execute":"query-version"}""",
        """{"execute":"query-memory-devices"}""",
        """{"execute":"query-memdev"}""",
        """{"execute":"object-add","arguments":{"qom-type":"memory-backend-file","id":"mem0","mem-path":"$DIR/x.img","size":1073741824}}""",
        """{"execute":"object-add","arguments":{"qom-type":"memory-backend-file","id":"m3","size":1073741824}}""",
        """{"execute":"object-add","arguments":{"qom-type":"memory-backend-file","mem-path":"$DIR/x.img","size":1073741824}}""",
        """{"execute":"object-add","arguments":{"qom-type":"foo","id":"m3"}}""",
        """{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m3","size":"1G"}}""",
        """{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m3","size":0}}""",
        """{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m3","size":1073741824,"share":"yes"}}""",
        """{"execute":"object-add","arguments":{"qom-type":"memory-backend-ram","id":"m3","size":1073741824,"bogus":1}}""",
        """{"execute":"object-add","arguments":{"qom-type":"memory-backend-file","id":"mem1","share":true""" +
            ""","mem-path":"$DIR/nv1.img","size":1073741824}}""",
        """{"execute":"device_add","arguments":{"driver":"nvdimm","id":"nv0","memdev":"mem1"}}""",
        """{"execute":"device_add","arguments":{"driver":"nvdimm","id":"nvx"}}""",
        """{"execute":"device_add","arguments":{"driver":"nvdimm","id":"nvx","memdev":"nope"}}""",
        """{"execute":"device_add","arguments":{"driver":"foo"}}""",
        """{"execute":"device_add","arguments":{"id":"x"}}""",
        """{"execute":"device_add","arguments":{"driver":"nvdimm","memdev":"mem1","label-size":1000}}""",
        """{"execute":"device_add","arguments":{"driver":"nvdimm","memdev":"mem1","slot":9}}""",
        """{"execute":"device_add","arguments":{"driver":"nvdimm","memdev":"mem1","bogus":1}}""",
        """{"execute":"device_add","arguments":{"driver":"nvdimm","id":"nv1","memdev":"mem1","label-size":"128K"},"id":27}""",
        """{"execute":"device_add","arguments":{"driver":"nvdimm","memdev":"mem1"}}""",
        """{"execute":"device_del","arguments":{"id":"nv1"}}""",
        """{"execute":"device_del","arguments":{"id":"nope"}}""",
        """{"execute":"device_del","arguments":{}}""",
        """{"execute":"object-del","arguments":{"id":"mem1"}}""",
        """{"execute":"object-del","arguments":{"id":"nope"}}""",
        """{"execute":"query-memory-devices"}""",
        """{"execute":"qom-get","arguments":{"path":"nv1","property":"label-size"}}""",
        """{"execute":"qom-get","arguments":{"path":"nv1","property":"memdev"}}""",
        """{"execute":"qom-get","arguments":{"path":"/machine/peripheral/nv1","property":"size"}}""",
        """{"execute":"qom-get","arguments":{"path":"nv1","property":"addr"}}""",
        """{"execute":"qom-get","arguments":{"path":"nv1","property":"slot"}}""",
        """{"execute":"qom-get","arguments":{"path":"nv1","property":"node"}}""",
        """{"execute":"qom-get","arguments":{"path":"nv1","property":"unarmed"}}""",
        """{"execute":"qom-get","arguments":{"path":"nv1","property":"uuid"}}""",
        """{"execute":"qom-get","arguments":{"path":"nv1","property":"hotplugged"}}""",
        """{"execute":"qom-get","arguments":{"path":"nv1","property":"type"}}""",
        """{"execute":"qom-get","arguments":{"path":"nv1","property":"nope"}}""",
        """{"execute":"qom-get","arguments":{"path":"mem1","property":"mem-path"}}""",
        """{"execute":"qom-get","arguments":{"path":"/objects/mem1","property":"size"}}""",
        """{"execute":"qom-get","arguments":{"path":"mem1","property":"share"}}""",
        """{"execute":"qom-get","arguments":{"path":"/machine/peripheral/nope","property":"size"}}""",
        """{"execute":"qom-get","arguments":{"path":1,"property":"x"}}""",
        """{"execute":"qom-get","arguments":{"path":"nv1"}}""",
        """{"execute":"qom-list","arguments":{"path":"nv1"}}""",
        """{"execute":"qom-list","arguments":{"path":"/objects/mem1"}}""",
        """{"execute":"qom-list","arguments":{"path":"/nope"}}""",
        """{"execute":"qom-set","arguments":{"path":"nv1","property":"slot","value":3}}""",
        """{"execute":"qom-set","arguments":{"path":"nv1","property":"label-size","value":262144}}""",
        """{"execute":"qom-set","arguments":{"path":"nv1","property":"size","value":1}}""",
        """{"execute":"qom-set","arguments":{"path":"nv1","property":"uuid","value":"11111111-0000-0000-0000-000000000000"}}""",
        """{"execute":"qom-get","arguments":{"path":"nv1","property":"uuid"}}""",
        """{"execute":"qom-set","arguments":{"path":"mem1","property":"mem-path","value":"x"}}""",
        """{"execute":"qom-set","arguments":{"path":"mem1","property":"align","value":4096}}""",
        """{"execute":"qom-set","arguments":{"path":"mem1","property":"pmem","value":true}}""",
        """{"execute":"qom-set","arguments":{"path":"mem1","property":"share","value":false}}""",
        """{"execute":"qom-set","arguments":{"path":"mem1","property":"discard-data","value":false}}""",
        """{"execute":"qom-set","arguments":{"path":"nv1","property":"uuid"}}""",
        """{"execute":"human-monitor-command","arguments":{"command-line":"info memory-devices"}}""",
        """{"execute":"human-monitor-command","arguments":{"command-line":"info status"}}""",
        """{"execute":"human-monitor-command","arguments":{"command-line":"info memory_size_summary"}}""",
        """{"execute":"human-monitor-command","arguments":{"command-line":"device_add nvdimm,help"}}""",
        """{"execute":"human-monitor-command","arguments":{"command-line":"device_del nv1"}}""",
        """{"execute":"human-monitor-command","arguments":{"command-line":"object_del mem1"}}""",
        """{"execute":"human-monitor-command","arguments":{"command-line":"bogus"}}""",
        """{"execute":"cont"}""",
        """{"execute":"query-status"}""",
        """{"execute":"human-monitor-command","arguments":{"command-line":"info status"}}""",
        """{"execute":"stop"}""",
        """{"execute":"query-status"}""",
        // Last: the failed migration it starts runs on its own thread, as QEMU's does, and may still be ending.
        """{"execute":"human-monitor-command","arguments":{"command-line":"migrate unix:$DIR/nobody.sock"}}""",
        """{"execute":"quit","id":"bye"}""",
    ];

    [SkippableFact]
    public void The_same_session_gets_the_same_answers_and_events()
    {
        TestMachines.RequireQemu();
        using var qemuDir = new TempFolder();
        using var ourDir = new TempFolder();
        var expected = Play(TestMachines.StartQemu(MachineArgs(qemuDir, "pc")), qemuDir);
        var actual = Play(TestMachines.StartVnvdimm(MachineArgs(ourDir, "pc")), ourDir);

        for (int i = 0; i < Session.Length; i++)
            AssertSameAnswer(Session[i], expected.Answers[i], actual.Answers[i]);
        Assert.Equal(expected.Events, actual.Events);
        Assert.Equal(["RESUME", "STOP", "SHUTDOWN"], actual.Events);
    }

    /// <summary>Negotiation with out-of-band execution, as QEMU 7.2 offers it in its greeting.</summary>
    private static readonly string[] OobSession =
    [
        """{"execute":"qmp_capabilities","arguments":{"enable":["bogus"]}}""",
        """{"execute":"qmp_capabilities","arguments":{"enable":"oob"}}""",
        """{"execute":"qmp_capabilities","arguments":{"enable":[1]}}""",
        """{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}""",
        """{"exec-oob":"query-status","id":1}""",
        """{"exec-oob":"migrate-pause","id":2}""",
        """{"exec-oob":"migrate-recover","arguments":{"uri":"unix:/nowhere"},"id":3}""",
        """{"execute":"query-status","exec-oob":"migrate-pause"}""",
        """{"exec-oob":"no-such-command"}""",
        """{"exec-oob":5}""",
        """{"execute":"query-status","id":4}""",
        """{"execute":"quit"}""",
    ];

    /// <summary>Before negotiation, or negotiated without it, "exec-oob" is a member QMP does not know.</summary>
    private static readonly string[] NoOobSession =
    [
        """{"exec-oob":"migrate-pause","id":1}""",
        """{"execute":"qmp_capabilities","arguments":{"enable":[]}}""",
        """{"exec-oob":"migrate-pause","id":2}""",
        """{"execute":"quit"}""",
    ];

    [SkippableTheory]
    [InlineData(nameof(OobSession))]
    [InlineData(nameof(NoOobSession))]
    public void Out_of_band_negotiation_and_exec_oob_answer_as_qemu(string session)
    {
        TestMachines.RequireQemu();
        string[] messages = session == nameof(OobSession) ? OobSession : NoOobSession;
        using var qemuDir = new TempFolder();
        using var ourDir = new TempFolder();
        var (qemuGreeting, expected) = PlayGreeted(TestMachines.StartQemu(MachineArgs(qemuDir, "pc")), qemuDir, messages);
        var (ourGreeting, actual) = PlayGreeted(TestMachines.StartVnvdimm(MachineArgs(ourDir, "pc")), ourDir, messages);
        Assert.Equal(qemuGreeting["QMP"]!["capabilities"]!.ToJsonString(), ourGreeting["QMP"]!["capabilities"]!.ToJsonString());
        for (int i = 0; i < messages.Length; i++)
            AssertSameAnswer(messages[i], expected[i], actual[i]);
    }

    private static (JsonObject Greeting, List<JsonObject> Answers) PlayGreeted(QtestClient machine, TempFolder dir, string[] messages)
    {
        using (machine)
        using (var qmp = QmpClient.ConnectUnix(dir.File("qmp.sock"), negotiate: false))
        {
            var answers = messages.Select(message => Normalize(qmp.Execute(message), dir)).ToList();
            qmp.ReadToEnd();
            return (qmp.Greeting, answers);
        }
    }

    private static (List<JsonObject> Answers, List<string> Events) Play(QtestClient machine, TempFolder dir)
    {
        using (machine)
        using (var qmp = QmpClient.ConnectUnix(dir.File("qmp.sock"), negotiate: false))
        {
            var answers = Session.Select(message => Normalize(qmp.Execute(message.Replace("$DIR", dir.Path)), dir)).ToList();
            qmp.ReadToEnd();
            return (answers, [.. qmp.Events.Select(e => e["event"]!.GetValue<string>())]);
        }
    }

    /// <summary>Folder paths become "$DIR"; object members are sorted so that member order does not matter.</summary>
    private static JsonObject Normalize(JsonObject answer, TempFolder dir) =>
        Sorted(JsonNode.Parse(answer.ToJsonString().Replace(dir.Path, "$DIR"))!)!.AsObject();

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(
            o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value?.DeepClone())))),
        JsonArray a => new JsonArray([.. a.Select(e => Sorted(e?.DeepClone()))]),
        _ => node?.DeepClone(),
    };

    private static void AssertSameAnswer(string message, JsonObject qemu, JsonObject ours)
    {
        string context = $"{message}\n  QEMU:     {qemu.ToJsonString()}\n  vnvdimm:  {ours.ToJsonString()}";
        Assert.True(JsonNode.DeepEquals(qemu["id"], ours["id"]), context);
        Assert.True(qemu.ContainsKey("error") == ours.ContainsKey("error"), context);
        if (qemu["error"] is JsonObject error)
        {
            Assert.True(JsonNode.DeepEquals(error, ours["error"]), context);
            return;
        }
        JsonNode? expected = qemu["return"], actual = ours["return"];
        if (message.Contains("query-version", StringComparison.Ordinal))
        {
            Assert.Equal(expected!["qemu"]!["major"]!.GetValue<int>(), actual!["qemu"]!["major"]!.GetValue<int>());
            Assert.Equal(expected["qemu"]!["minor"]!.GetValue<int>(), actual["qemu"]!["minor"]!.GetValue<int>());
            return;
        }
        if (message.Contains("query-memdev", StringComparison.Ordinal))
        {
            foreach (var list in new[] { expected!.AsArray(), actual!.AsArray() })
                foreach (var memdev in list)
                {
                    memdev!.AsObject().Remove("merge");
                    memdev.AsObject().Remove("reserve");
                }
        }
        if (message.Contains("qom-list", StringComparison.Ordinal))
        {
            var offered = expected!.AsArray().Select(p => p!.ToJsonString()).ToHashSet();
            Assert.All(actual!.AsArray(), p => Assert.Contains(p!.ToJsonString(), offered));
            return;
        }
        Assert.True(JsonNode.DeepEquals(expected, actual), context);
    }

    [SkippableTheory]
    [InlineData("pc")]
    [InlineData("q35")]
    public void Hotplug_gives_the_same_fit_the_same_fit_changed_status_and_the_same_gpe_bit(string machineType)
    {
        TestMachines.RequireQemu();
        using var qemuDir = new TempFolder();
        using var ourDir = new TempFolder();
        var expected = Hotplug(TestMachines.StartQemu(MachineArgs(qemuDir, machineType)), qemuDir, machineType);
        var actual = Hotplug(TestMachines.StartVnvdimm(MachineArgs(ourDir, machineType)), ourDir, machineType);

        Assert.Equal(expected.GpeBefore, actual.GpeBefore);
        Assert.Equal(expected.GpeAfter, actual.GpeAfter);
        Assert.Equal(expected.GpeCleared, actual.GpeCleared);
        Assert.Equal(0x10u, actual.GpeAfter & 0x10);
        Assert.Equal(expected.StatusMidSequence, actual.StatusMidSequence);
        Assert.Equal(0x100u, actual.StatusMidSequence);
        Assert.Equal(expected.Fit.Length, actual.Fit.Length);
        // QEMU lists devices in GLib hash-table order, vnvdimm by slot: the same structures, as a set.
        Assert.Equal(Structures(expected.Fit), Structures(actual.Fit));
        Assert.Equal(3, NfitView.FromFit(actual.Fit).Structures.Count(s => s.Type == NfitStructureView.SpaRange));
    }

    /// <summary>
    /// The SCI as libqtest sees it: with the IOAPIC's inputs intercepted, IRQ 9 rises when a hotplug sets
    /// an enabled GPE0 bit (or the bit is enabled while set) and falls when it is cleared or disabled.
    /// Every command's answer and the IRQ lines before it must be QEMU's. (pc: q35's GPE0 needs firmware.)
    /// </summary>
    [SkippableFact]
    public void Hotplug_raises_the_sci_as_qemu_does_for_an_intercepting_qtest_client()
    {
        TestMachines.RequireQemu();
        using var qemuDir = new TempFolder();
        using var ourDir = new TempFolder();
        var expected = SciTranscript(TestMachines.StartQemu(MachineArgs(qemuDir, "pc")), qemuDir);
        var actual = SciTranscript(TestMachines.StartVnvdimm(MachineArgs(ourDir, "pc")), ourDir);
        Assert.Equal(expected, actual);
        Assert.Contains("IRQ raise 9 | OK 0x0010", actual);
    }

    private static List<string> SciTranscript(QtestClient machine, TempFolder dir)
    {
        var transcript = new List<string>();
        using (machine)
        using (var qmp = QmpClient.ConnectUnix(dir.File("qmp.sock")))
        {
            void Qtest(string command)
            {
                int seen = machine.IrqNotices.Count;
                string answer = machine.Command(command);
                transcript.Add(string.Join(" | ", machine.IrqNotices.Skip(seen).Append(answer)));
            }
            void Plug(string id)
            {
                Assert.NotNull(qmp.Execute($"{{\"execute\":\"object-add\",\"arguments\":{{\"qom-type\":\"memory-backend-file\",\"id\":\"mem{id}\"," +
                    $"\"share\":true,\"mem-path\":\"{dir.File($"nv{id}.img")}\",\"size\":134217728}}}}")["return"]);
                Assert.NotNull(qmp.Execute($"{{\"execute\":\"device_add\",\"arguments\":{{\"driver\":\"nvdimm\",\"id\":\"nv{id}\"," +
                    $"\"memdev\":\"mem{id}\"}}}}")["return"]);
            }

            Qtest("outb 0xafe2 0x10"); // enabled before anyone listens: no notice
            Plug("0b");                // the SCI is up before the intercept: QEMU tells nothing of it...
            Qtest("irq_intercept_in nothing-here");
            Qtest("irq_intercept_in ioapic");
            Qtest("irq_intercept_in ioapic");
            Qtest("irq_intercept_out /machine/peripheral/nv0");
            Qtest("outb 0xafe0 0x10"); // ...nor of its fall, which it never told rose
            Plug("1");
            Qtest("inb 0xafe0");
            Qtest("outb 0xafe0 0x10");
            Qtest("outb 0xafe2 0x0");
            Plug("2");
            Qtest("inb 0xafe0");
            Qtest("outb 0xafe2 0x10");
            Qtest("outw 0xafe2 0x0");
            Qtest("outb 0xafe0 0x10");
            Qtest("inw 0xafe0");
        }
        return transcript;
    }

    private sealed record HotplugOutcome(uint GpeBefore, uint GpeAfter, uint GpeCleared, uint StatusMidSequence, byte[] Fit);

    private static HotplugOutcome Hotplug(QtestClient machine, TempFolder dir, string machineType)
    {
        using (machine)
        using (var qmp = QmpClient.ConnectUnix(dir.File("qmp.sock")))
        {
            ushort gpe = machineType == "q35" ? (ushort)0x620 : (ushort)0xafe0;
            if (machineType == "q35")
            {
                // What firmware does on q35 before GPE0 exists: PMBASE 0x600 and ACPI enable in the LPC bridge.
                // vnvdimm has its GPE0 there from the start; these writes reach no device.
                machine.Out(0xcf8, 4, 0x8000f840);
                machine.Out(0xcfc, 4, 0x601);
                machine.Out(0xcf8, 4, 0x8000f844);
                machine.Out(0xcfc, 1, 0x80);
            }
            var dsm = new DsmClient(machine, DsmPage);
            dsm.ReadWholeFit(); // the cold plug marked the FIT changed; a complete read settles it
            uint before = machine.In(gpe, 2);
            Assert.Equal(0u, dsm.ReadFit(0).Status); // a guest starts reading...

            foreach (var (id, extra) in new[] { ("1", ""), ("2", ",\"slot\":3,\"unarmed\":true") })
            {
                Assert.NotNull(qmp.Execute($"{{\"execute\":\"object-add\",\"arguments\":{{\"qom-type\":\"memory-backend-file\",\"id\":\"mem{id}\"," +
                    $"\"share\":true,\"mem-path\":\"{dir.File($"nv{id}.img")}\",\"size\":536870912}}}}")["return"]);
                Assert.NotNull(qmp.Execute($"{{\"execute\":\"device_add\",\"arguments\":{{\"driver\":\"nvdimm\",\"id\":\"nv{id}\"," +
                    $"\"memdev\":\"mem{id}\",\"label-size\":131072{extra}}}}}")["return"]);
            }
            uint midSequence = dsm.ReadFit(0x38).Status; // ...and is told the FIT changed under it
            uint after = machine.In(gpe, 2);
            machine.Out(gpe, 2, 0x10);
            uint cleared = machine.In(gpe, 2);
            return new HotplugOutcome(before, after, cleared, midSequence, dsm.ReadWholeFit());
        }
    }

    private static HashSet<string> Structures(byte[] fit) =>
        [.. NfitView.FromFit(fit).Structures.Select(s => Convert.ToHexString(s.Bytes))];
}
