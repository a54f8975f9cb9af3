using System.Text.Json;
using System.Text.Json.Nodes;
using Vnvdimm.Devices;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;
using Vnvdimm.Vmm;

namespace Vnvdimm.Monitor.Qom;

/// <summary>
/// The part of QEMU's QOM composition tree that concerns memory: /machine with its peripheral
/// containers (NVDIMMs) and /objects (memory backends), with QEMU's property names, types and
/// qom-set refusals. Built from the machine's current state on each request.
/// </summary>
public sealed class QomTree(Machine machine)
{
    public const string ObjectsPath = "/objects";
    public const string PeripheralPath = "/machine/peripheral";
    public const string AnonymousPeripheralPath = "/machine/peripheral-anon";

    /// <summary>QEMU's name for the machine's RAM backend when no -numa memdev provides it.</summary>
    public const string MachineRamId = "pc.ram";

    public static string BackendPath(string id) => $"{ObjectsPath}/{id}";

    /// <summary>Resolves an absolute path, or a partial one ("nv0") that names exactly one object, as QEMU does.</summary>
    public QomObject Resolve(string path)
    {
        var all = Flatten(Root()).ToList();
        if (path.StartsWith('/'))
        {
            string normalized = path.Length > 1 ? path.TrimEnd('/') : path;
            return all.Find(o => o.Path == normalized) ?? throw MonitorException.NotFound($"Device '{path}' not found");
        }
        var matches = all.Where(o => o.Path.EndsWith("/" + path, StringComparison.Ordinal)).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw MonitorException.NotFound($"Device '{path}' not found"),
            _ => throw MonitorException.Generic($"Path '{path}' does not uniquely identify an object"),
        };
    }

    private static IEnumerable<QomObject> Flatten(QomObject o) => new[] { o }.Concat(o.Children.SelectMany(Flatten));

    private QomObject Root()
    {
        var named = machine.Nvdimms.Where(d => d.Id is not null).Select(d => Nvdimm(d, $"{PeripheralPath}/{d.Id}")).ToList();
        var anonymous = machine.Nvdimms.Where(d => d.Id is null).Select((d, i) => Nvdimm(d, $"{AnonymousPeripheralPath}/device[{i}]")).ToList();
        var objects = new List<QomObject>();
        if (machine.Configuration.NumaNodes.Count == 0)
            objects.Add(MachineRam());
        objects.AddRange(machine.Backends.Select(Backend));

        var machineNode = new QomObject("/machine", $"{machine.Configuration.Machine.TypeName}-machine",
            [
                new("nvdimm", "bool", () => machine.Configuration.Machine.Nvdimm),
                new("nvdimm-persistence", "string", () => machine.Configuration.Machine.Persistence switch
                {
                    PersistenceDomain.Cpu => "cpu",
                    PersistenceDomain.MemoryController => "mem-ctrl",
                    _ => "",
                }),
            ],
            [Container(PeripheralPath, named), Container(AnonymousPeripheralPath, anonymous)]);
        return new QomObject("/", "container", [], [machineNode, Container(ObjectsPath, objects)]);
    }

    private static QomObject Container(string path, IReadOnlyList<QomObject> children) => new(path, "container", [], children);

    private QomObject Nvdimm(NvdimmDevice d, string path)
    {
        string name = d.Id ?? path[(path.LastIndexOf('/') + 1)..];
        string Realized(string property) => $"Attempt to set property '{property}' on device '{name}' (type 'nvdimm') after it was realized";
        return new QomObject(path, "nvdimm",
            [
                new("realized", "bool", () => true, SetRefusal: Realized("realized")),
                new("hotplugged", "bool", () => d.Hotplugged),
                new("hotpluggable", "bool", () => true),
                new("memdev", "link<memory-backend>", () => BackendPath(d.Backend.Id), SetRefusal: Realized("memdev")),
                new("node", "uint32", () => d.Node, SetRefusal: Realized("node")),
                new("addr", "uint64", () => d.Address, SetRefusal: Realized("addr")),
                new("slot", "int32", () => d.Slot, SetRefusal: Realized("slot")),
                new("unarmed", "bool", () => d.Unarmed, SetRefusal: Realized("unarmed")),
                // QEMU lets the uuid change after realize: it is only reported, never used by the guest interface.
                new("uuid", "QemuUUID", () => d.Uuid.ToString("D"), Set: value => d.Uuid = ParseUuid(value)),
                new("label-size", "int", () => d.LabelSize, SetRefusal: "cannot change property value"),
                new("size", "uint64", () => d.RegionSize),
            ],
            []);
    }

    private static Guid ParseUuid(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && Guid.TryParseExact(value.GetString(), "D", out var uuid)
            ? uuid
            : throw MonitorException.Generic("Property 'nvdimm.uuid' has invalid value");

    private QomObject Backend(MemoryBackend b)
    {
        string type = b.Options.IsFile ? "memory-backend-file" : "memory-backend-ram";
        string Fixed(string property) => $"cannot change property '{property}' of {type}";
        var properties = new List<QomProperty>
        {
            new("share", "bool", () => b.Options.Share, SetRefusal: "cannot change property value"),
            new("size", "int", () => b.Size, SetRefusal: $"cannot change property size of {type} "),
            new("dump", "bool", () => true),
            new("prealloc", "bool", () => b.Preallocated, Set: value => { if (Bool(value, "prealloc")) b.Preallocate(); }),
            new("reserve", "bool", () => Reserve(b.Options.Share)),
            new("merge", "bool", () => false),
            new("host-nodes", "int", () => new JsonArray()),
            new("policy", "HostMemPolicy", () => "default"),
        };
        if (b.Options.IsFile)
        {
            properties.AddRange(
            [
                new("readonly", "bool", () => b.Options.Readonly, SetRefusal: Fixed("readonly") + "."),
                new("align", "int", () => b.Descriptor.Alignment, SetRefusal: Fixed("align")),
                new("pmem", "bool", () => b.Options.Pmem, SetRefusal: Fixed("pmem") + "."),
                new("mem-path", "string", () => b.Options.MemPath, SetRefusal: Fixed("mem-path")),
                new("discard-data", "bool", () => b.DiscardData, Set: value => b.DiscardData = Bool(value, "discard-data")),
            ]);
        }
        return new QomObject(BackendPath(b.Id), type, properties, []);
    }

    private QomObject MachineRam() => new(BackendPath(MachineRamId), "memory-backend-ram",
        [
            new("share", "bool", () => false, SetRefusal: "cannot change property value"),
            new("size", "int", () => machine.Layout.RamSize, SetRefusal: "cannot change property size of memory-backend-ram "),
            new("dump", "bool", () => true),
            new("prealloc", "bool", () => false, SetRefusal: "cannot change property value"),
            new("reserve", "bool", () => Reserve(share: false)),
            new("merge", "bool", () => false),
            new("host-nodes", "int", () => new JsonArray()),
            new("policy", "HostMemPolicy", () => "default"),
        ],
        []);

    /// <summary>Private mappings are made with MAP_NORESERVE (QEMU's reserve=off); shared ones reserve nothing either way.</summary>
    public static bool Reserve(bool share) => share;

    private static bool Bool(JsonElement value, string property) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw MonitorException.Generic($"Invalid parameter type for '{property}', expected: boolean"),
    };
}
