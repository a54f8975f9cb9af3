using System.Text.Json;
using System.Text.Json.Nodes;
using Vnvdimm.Monitor.Hmp;
using Vnvdimm.Options;

namespace Vnvdimm.Monitor.Qmp;

/// <summary>
/// The QMP commands, with QEMU's names, argument names and answer shapes. Each takes its arguments,
/// rejects the ones it does not know, and returns the "return" value.
/// </summary>
public sealed class QmpCommands
{
    /// <summary>What <c>quit</c> reports as the SHUTDOWN reason, as QEMU does for both monitors.</summary>
    public const string QuitReason = "host-qmp-quit";

    private readonly MachineMonitor _monitor;
    private readonly HmpInterpreter _hmp;
    private readonly Dictionary<string, Func<QmpArguments, JsonNode?>> _commands;

    public QmpCommands(MachineMonitor monitor)
    {
        _monitor = monitor;
        _hmp = new HmpInterpreter(monitor);
        _commands = new(StringComparer.Ordinal)
        {
            ["qmp_capabilities"] = _ => throw new MonitorException(
                MonitorErrorClass.CommandNotFound, "Capabilities negotiation is already complete, command ignored"),
            ["query-version"] = NoArguments(() => Serialize(_monitor.Version(), QmpJsonContext.Default.VersionInfo)),
            ["query-status"] = NoArguments(() => Serialize(_monitor.Status(), QmpJsonContext.Default.StatusInfo)),
            ["query-name"] = NoArguments(() => Serialize(new NameInfo(_monitor.Machine.Configuration.Name), QmpJsonContext.Default.NameInfo)),
            ["query-commands"] = NoArguments(() => Serialize(
                Names.Select(n => new CommandInfo(n)).ToList(), QmpJsonContext.Default.IReadOnlyListCommandInfo)),
            ["query-machines"] = NoArguments(() => Serialize(QueryMachines(), QmpJsonContext.Default.IReadOnlyListMachineInfo)),
            ["qom-list-types"] = args => Serialize(QomListTypes(args), QmpJsonContext.Default.IReadOnlyListObjectTypeInfo),
            ["query-memory-devices"] = NoArguments(() => Serialize(_monitor.MemoryDevices(), QmpJsonContext.Default.IReadOnlyListMemoryDeviceInfo)),
            ["query-memdev"] = NoArguments(() => Serialize(_monitor.Memdevs(), QmpJsonContext.Default.IReadOnlyListMemdevInfo)),
            ["object-add"] = ObjectAdd,
            ["object-del"] = args => Empty(() => _monitor.ObjectDel(Only(args, a => a.RequiredString("id")))),
            ["device_add"] = DeviceAdd,
            ["device_del"] = args => Empty(() => _monitor.DeviceDel(Only(args, a => a.RequiredString("id")))),
            ["qom-list"] = args => Serialize(
                _monitor.Qom.Resolve(Only(args, a => a.RequiredString("path"))).List().ToList(), QmpJsonContext.Default.IReadOnlyListQomPropertyInfo),
            ["qom-get"] = QomGet,
            ["qom-set"] = QomSet,
            ["human-monitor-command"] = HumanMonitorCommand,
            ["migrate"] = args => Empty(() =>
            {
                string uri = args.RequiredString("uri");
                args.Bool("detach");
                args.Bool("blk");
                args.Bool("inc");
                if (args.Bool("resume") == true)
                    throw MonitorException.Generic("vnvdimm has no postcopy to resume");
                args.RejectUnknown();
                _monitor.Migrate(m => m.Start(uri));
            }),
            ["migrate-incoming"] = args => Empty(() =>
            {
                string uri = args.RequiredString("uri");
                args.RejectUnknown();
                _monitor.Migrate(m => m.StartIncoming(uri));
            }),
            // Postcopy's commands, the ones QEMU 7.2 runs out of band; vnvdimm has no postcopy, so never in its state.
            ["migrate-pause"] = NoArguments(
                () => throw MonitorException.Generic("migrate-pause is currently only supported during postcopy-active state")),
            ["migrate-recover"] = args =>
            {
                args.RequiredString("uri");
                args.RejectUnknown();
                throw MonitorException.Generic("Migrate recover can only be run when postcopy is paused.");
            },
            ["migrate_cancel"] = NoArguments(() => Empty(() => _monitor.Migration.Cancel())),
            ["query-migrate"] = NoArguments(() => QueryMigrate()),
            ["migrate-set-capabilities"] = MigrateSetCapabilities,
            ["query-migrate-capabilities"] = NoArguments(() => Serialize(
                Migration.MigrationManager.Capabilities.Select(c => new MigrationCapabilityInfo(
                    c, c == "events" ? _monitor.Migration.Settings.Events : _monitor.Migration.Settings.IgnoreShared)).ToList(),
                QmpJsonContext.Default.IReadOnlyListMigrationCapabilityInfo)),
            ["migrate-set-parameters"] = args => Empty(() =>
            {
                ulong? bandwidth = args.UInt64("max-bandwidth");
                args.RejectUnknown();
                if (bandwidth is ulong b)
                    _monitor.Migration.SetMaxBandwidth(b);
            }),
            ["query-migrate-parameters"] = NoArguments(() => Serialize(
                new MigrationParametersInfo(_monitor.Migration.Settings.MaxBandwidth), QmpJsonContext.Default.MigrationParametersInfo)),
            ["stop"] = NoArguments(() => Empty(_monitor.Stop)),
            ["cont"] = NoArguments(() => Empty(_monitor.Continue)),
            ["quit"] = NoArguments(() => Empty(() => _monitor.Quit(QuitReason))),
        };
    }

    public IEnumerable<string> Names => _commands.Keys;

    /// <summary>The commands QEMU 7.2 lets a client run with "exec-oob".</summary>
    public static bool AllowsOob(string name) => name is "migrate-pause" or "migrate-recover";

    private static IReadOnlyList<MachineInfo> QueryMachines() => [.. MachineTypes.All.Select(t => new MachineInfo(
        t.HotpluggableCpus, t.Name, false, t.DefaultCpuType, t.IsDefault, t.CpuMax, false, t.DefaultRamId, t.Alias))];

    private static IReadOnlyList<ObjectTypeInfo> QomListTypes(QmpArguments args)
    {
        string? implements = args.String("implements");
        bool includeAbstract = args.Bool("abstract") ?? false;
        args.RejectUnknown();
        return [.. Qom.QomTypes.List(implements, includeAbstract).Select(t => new ObjectTypeInfo(t.Abstract, t.Name, t.Parent))];
    }

    public JsonNode? Execute(string name, QmpArguments arguments) =>
        _commands.TryGetValue(name, out var command)
            ? command(arguments)
            : throw new MonitorException(MonitorErrorClass.CommandNotFound, $"The command {name} has not been found");

    /// <summary>
    /// QMP's object-add is typed (a size is a JSON number, a flag a JSON boolean), unlike the
    /// command line; once checked, the values go through the command line's parser and checks.
    /// </summary>
    private JsonNode? ObjectAdd(QmpArguments args)
    {
        string type = args.RequiredString("qom-type");
        bool isFile = type switch
        {
            "memory-backend-file" => true,
            "memory-backend-ram" => false,
            _ => throw MonitorException.Generic($"Parameter 'qom-type' does not accept value '{type}'"),
        };
        var pairs = new List<KeyValuePair<string, string>> { new("qom-type", type), new("id", args.RequiredString("id")) };
        void Add(string key, string? value)
        {
            if (value is not null)
                pairs.Add(new(key, value));
        }
        static string? OnOff(bool? b) => b is bool v ? v ? "on" : "off" : null;

        if (isFile)
            Add("mem-path", args.RequiredString("mem-path"));
        ulong size = args.UInt64("size") ?? throw QmpArguments.Missing("size");
        if (size == 0)
            throw MonitorException.Generic($"property 'size' of {type} doesn't take value '0'");
        Add("size", size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("share", OnOff(args.Bool("share")));
        Add("prealloc", OnOff(args.Bool("prealloc")));
        if (isFile)
        {
            Add("align", args.UInt64("align")?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Add("pmem", OnOff(args.Bool("pmem")));
            Add("readonly", OnOff(args.Bool("readonly")));
            Add("discard-data", OnOff(args.Bool("discard-data")));
        }
        args.RejectUnknown();
        _monitor.ObjectAdd(OptionGroup.FromPairs("object", pairs));
        return new JsonObject();
    }

    /// <summary>QEMU 7.2 turns device_add's arguments into QemuOpts, so "label-size": "128K" works as on the command line.</summary>
    private JsonNode? DeviceAdd(QmpArguments args)
    {
        string driver = args.RequiredString("driver");
        var pairs = new List<KeyValuePair<string, string>> { new("driver", driver) };
        pairs.AddRange(args.AsOptionStrings("driver"));
        _monitor.DeviceAdd(OptionGroup.FromPairs("device", pairs));
        return new JsonObject();
    }

    /// <summary>
    /// QEMU answers {} before any migration (a destination: where it listens), and only the members that apply after.
    /// </summary>
    private JsonNode? QueryMigrate()
    {
        var info = _monitor.Migration.Info();
        if (info.Status != Migration.MigrationStatus.None)
            return Serialize(info, QmpJsonContext.Default.MigrationInfo);
        var waiting = new JsonObject();
        if (info.SocketAddress is { } addresses)
            waiting["socket-address"] = Serialize(addresses, QmpJsonContext.Default.IReadOnlyListMigrationSocketAddress);
        return waiting;
    }

    private JsonNode? MigrateSetCapabilities(QmpArguments args)
    {
        var list = args.Value("capabilities") ?? throw QmpArguments.Missing("capabilities");
        args.RejectUnknown();
        if (list.ValueKind != JsonValueKind.Array)
            throw MonitorException.Generic("Invalid parameter type for 'capabilities', expected: array");
        foreach (var item in list.EnumerateArray())
        {
            var entry = new QmpArguments(item.ValueKind == JsonValueKind.Object
                ? item
                : throw MonitorException.Generic("Invalid parameter type for 'capabilities', expected: object"));
            string name = entry.RequiredString("capability");
            bool state = entry.Bool("state") ?? throw QmpArguments.Missing("state");
            entry.RejectUnknown();
            _monitor.Migrate(m => m.SetCapability(name, state));
        }
        return new JsonObject();
    }

    private JsonNode? QomGet(QmpArguments args)
    {
        string path = args.RequiredString("path");
        string property = args.RequiredString("property");
        args.RejectUnknown();
        using (_monitor.Machine.Enter())
            return _monitor.Qom.Resolve(path).Get(property);
    }

    private JsonNode? QomSet(QmpArguments args)
    {
        string path = args.RequiredString("path");
        string property = args.RequiredString("property");
        var value = args.Value("value") ?? throw QmpArguments.Missing("value");
        args.RejectUnknown();
        using (_monitor.Machine.Enter())
            _monitor.Qom.Resolve(path).Set(property, value);
        return new JsonObject();
    }

    private JsonNode? HumanMonitorCommand(QmpArguments args)
    {
        string line = args.RequiredString("command-line");
        args.Integer("cpu-index"); // accepted: there is no CPU to select
        args.RejectUnknown();
        return JsonValue.Create(_hmp.Execute(line).Output);
    }

    private static Func<QmpArguments, JsonNode?> NoArguments(Func<JsonNode?> command) => args =>
    {
        args.RejectUnknown();
        return command();
    };

    private static T Only<T>(QmpArguments args, Func<QmpArguments, T> read)
    {
        var value = read(args);
        args.RejectUnknown();
        return value;
    }

    private static JsonNode Empty(Action action)
    {
        action();
        return new JsonObject();
    }

    private static JsonNode? Serialize<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        JsonSerializer.SerializeToNode(value, type);
}
