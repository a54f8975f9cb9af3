using System.Text.Json.Nodes;
using Vnvdimm.Monitor;
using Vnvdimm.Monitor.Hmp;
using Vnvdimm.Monitor.Qmp;
using Vnvdimm.Options;
using Vnvdimm.Vmm;

namespace Vnvdimm.Tests.Monitor;

/// <summary>A machine with one NVDIMM (slot 0) and 2 free slots, driven through a negotiated QMP session and HMP.</summary>
public sealed class MonitorMachine : IDisposable
{
    private readonly QmpSession _session;

    public MonitorMachine(string machineType = "pc")
    {
        Folder = new Scratch();
        Machine = MachineBuilder.Build(CommandLineParser.Parse([
            "-machine", $"{machineType},nvdimm=on,nvdimm-persistence=cpu", "-m", "64M,slots=3,maxmem=2G", "-S",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={Folder.File("nv0.img")},size=16M",
            "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K"]).Configuration, new TestLogger());
        Monitor = new MachineMonitor(Machine, new TestLogger());
        _session = new QmpSession(new QmpCommands(Monitor), Monitor);
        Qmp("{'execute':'qmp_capabilities'}");
        Hmp = new HmpInterpreter(Monitor);
    }

    public Scratch Folder { get; }
    public Machine Machine { get; }
    public MachineMonitor Monitor { get; }
    public HmpInterpreter Hmp { get; }

    /// <summary>One message through the framer (so QEMU's single-quoted strings work) and the session.</summary>
    public JsonObject Qmp(string json) => _session.Answer(Assert.Single(new QmpFramer().Feed(System.Text.Encoding.UTF8.GetBytes(json))));

    /// <summary>One framed message through the session.</summary>
    public JsonObject Qmp(QmpFrame frame) => _session.Answer(frame);

    /// <summary>The "return" of a command that must succeed.</summary>
    public JsonNode? Return(string json)
    {
        var answer = Qmp(json);
        Assert.True(answer.ContainsKey("return"), answer.ToJsonString());
        return answer["return"];
    }

    /// <summary>The (class, desc) of a command that must fail.</summary>
    public (string Class, string Desc) Error(string json)
    {
        var answer = Qmp(json);
        Assert.True(answer.ContainsKey("error"), answer.ToJsonString());
        return (answer["error"]!["class"]!.GetValue<string>(), answer["error"]!["desc"]!.GetValue<string>());
    }

    public string AddBackend(string id, string size = "16777216", string extra = "")
    {
        string path = Folder.File($"{id}.img");
        Return($"{{'execute':'object-add','arguments':{{'qom-type':'memory-backend-file','id':'{id}','mem-path':'{path}'," +
            $"'size':{size},'share':true{extra}}}}}");
        return path;
    }

    public void Dispose()
    {
        Machine.Dispose();
        Folder.Dispose();
    }
}
