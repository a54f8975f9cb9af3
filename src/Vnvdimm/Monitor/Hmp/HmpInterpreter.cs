using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vnvdimm.Options;

namespace Vnvdimm.Monitor.Hmp;

/// <summary>The text one HMP line produced (lines end in CR LF, as QEMU's monitor writes them).</summary>
public readonly record struct HmpResult(string Output, bool Quit);

/// <summary>
/// The human monitor: QEMU's HMP command names, argument syntax and output format, over the same
/// operations as QMP. Errors print as "Error: ..." and the monitor goes on.
/// </summary>
public sealed class HmpInterpreter
{
    private sealed record Command(string Name, string Arguments, string Help, Action<string, StringBuilder> Run, string? Alias = null);

    private readonly MachineMonitor _monitor;
    private readonly List<Command> _commands;
    private readonly List<Command> _info;

    public MachineMonitor Monitor => _monitor;

    /// <summary>How this monitor waits for a migration started without -d; null where it cannot wait.</summary>
    private readonly Action<Migration.MigrationManager>? _awaitMigration;

    /// <param name="awaitMigration">
    /// Holds the monitor until a migration started without -d ends (a progress bar at the prompt);
    /// null for a monitor that cannot be held (human-monitor-command), which continues detached as QEMU's does.
    /// </param>
    public HmpInterpreter(MachineMonitor monitor, Action<Migration.MigrationManager>? awaitMigration = null)
    {
        _monitor = monitor;
        _awaitMigration = awaitMigration;
        _commands =
        [
            new("cont", "", "resume emulation", (_, _) => _monitor.Continue(), Alias: "c"),
            new("device_add", "driver[,prop=value][,...]", "add device, like -device on the command line",
                (args, o) => WithHelp("device", args, o, () => _monitor.DeviceAdd(OptionGroup.Parse("device", Required(args, "device"), "driver")))),
            new("device_del", "device", "remove device", (args, _) => _monitor.DeviceDel(Required(args, "id"))),
            new("help", "[cmd]", "show the help", Help, Alias: "?"),
            new("info", "[subcommand]", "show various information about the system state", Info),
            new("migrate", "[-d] uri", "migrate to URI (using -d to not wait for completion)", Migrate),
            new("migrate_cancel", "", "cancel the current VM migration", (_, _) => _monitor.Migration.Cancel()),
            new("migrate_incoming", "uri", "Continue an incoming migration from an -incoming defer",
                (args, _) => _monitor.Migrate(m => m.StartIncoming(Required(args, "uri")))),
            new("migrate_set_capability", "capability state", "Enable/Disable the usage of a capability for migration", MigrateSetCapability),
            new("migrate_set_parameter", "parameter value", "Set the parameter for migration", MigrateSetParameter),
            new("object_add", "[qom-type=]type,id=str[,prop=value][,...]", "create QOM object",
                (args, o) => WithHelp("object", args, o,
                    () => _monitor.ObjectAdd(OptionGroup.Parse("object", Required(args, "object"), "qom-type")))),
            new("object_del", "id", "destroy QOM object", (args, _) => _monitor.ObjectDel(Required(args, "id"))),
            new("qom-get", "path property", "print QOM property", QomGet),
            new("qom-list", "path", "list QOM properties", QomList),
            new("qom-set", "path property value", "set QOM property", QomSet),
            new("quit", "", "quit the emulator", (_, _) => _monitor.Quit(Qmp.QmpCommands.QuitReason), Alias: "q"),
            new("stop", "", "stop emulation", (_, _) => _monitor.Stop(), Alias: "s"),
        ];
        _info =
        [
            new("memdev", "", "show memory backends", (_, o) => InfoMemdev(o)),
            new("memory-devices", "", "show memory devices", (_, o) => InfoMemoryDevices(o)),
            new("memory_size_summary", "", "show the amount of initially allocated and present hotpluggable (if enabled) memory in bytes.",
                (_, o) => InfoMemorySizeSummary(o)),
            new("migrate", "", "show migration status", (_, o) => InfoMigrate(o)),
            new("migrate_capabilities", "", "show current migration capabilities", (_, o) =>
            {
                var s = _monitor.Migration.Settings;
                o.Append(CultureInfo.InvariantCulture, $"events: {(s.Events ? "on" : "off")}\nx-ignore-shared: {(s.IgnoreShared ? "on" : "off")}\n");
            }),
            new("migrate_parameters", "", "show current migration parameters", (_, o) =>
                o.Append(CultureInfo.InvariantCulture, $"max-bandwidth: {_monitor.Migration.Settings.MaxBandwidth} bytes/second\n")),
            new("name", "", "show the current VM name", (_, o) =>
            {
                if (_monitor.Machine.Configuration.Name is string name)
                    o.Append(CultureInfo.InvariantCulture, $"{name}\n");
            }),
            new("status", "", "show the current VM status (running|paused)", (_, o) => InfoStatus(o)),
            new("version", "", "show the version of QEMU", (_, o) =>
            {
                var v = _monitor.Version();
                o.Append(CultureInfo.InvariantCulture, $"{v.Qemu.Major}.{v.Qemu.Minor}.{v.Qemu.Micro} ({v.Package})\n");
            }),
        ];
    }

    public HmpResult Execute(string line)
    {
        var output = new StringBuilder();
        string trimmed = line.Trim();
        bool quit = false;
        if (trimmed.Length > 0)
        {
            int space = trimmed.IndexOfAny([' ', '\t']);
            string name = space < 0 ? trimmed : trimmed[..space];
            string args = space < 0 ? "" : trimmed[(space + 1)..].Trim();
            var command = Find(_commands, name);
            if (command is null)
            {
                output.Append(CultureInfo.InvariantCulture, $"unknown command: '{name}'\n");
            }
            else
            {
                try
                {
                    command.Run(args, output);
                    quit = command.Name == "quit";
                }
                catch (UserError e)
                {
                    output.Append(CultureInfo.InvariantCulture, $"Error: {e.Message}\n");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    output.Append(CultureInfo.InvariantCulture, $"Error: {e.Message}\n");
                }
                catch (Exception e)
                {
                    // A defect: the line still gets an answer and the monitor goes on.
                    output.Append(CultureInfo.InvariantCulture, $"Error: internal error: {e.Message}\n");
                }
            }
        }
        return new HmpResult(output.ToString().Replace("\n", "\r\n", StringComparison.Ordinal), quit);
    }

    private static Command? Find(List<Command> table, string name) => table.Find(c => c.Name == name || c.Alias == name);

    /// <summary>
    /// As QEMU's: without -d the monitor is held until the migration ends; a failure is then printed here
    /// (QEMU prints it on its standard error only).
    /// </summary>
    private void Migrate(string args, StringBuilder output)
    {
        bool detach = args == "-d" || args.StartsWith("-d ", StringComparison.Ordinal);
        string uri = Required(detach ? args[2..].TrimStart() : args, "uri");
        _monitor.Migrate(m => m.Start(uri));
        if (detach)
            return;
        if (_awaitMigration is null)
        {
            output.Append("terminal does not allow synchronous migration, continuing detached\n");
            return;
        }
        _awaitMigration(_monitor.Migration);
        if (_monitor.Migration.Info() is { Status: Migration.MigrationStatus.Failed, ErrorDesc: string error })
            output.Append(CultureInfo.InvariantCulture, $"Error: {error}\n");
    }

    /// <summary>"device_add nvdimm,help" and the like print what the command line's help prints; anything else runs.</summary>
    private static void WithHelp(string option, string args, StringBuilder output, Action run)
    {
        if (OptionHelp.For(option, args) is string help)
            output.Append(help);
        else
            run();
    }

    /// <summary>As QEMU: RAM, then (where the machine has device memory) what memory devices occupy.</summary>
    private void InfoMemorySizeSummary(StringBuilder output)
    {
        var machine = _monitor.Machine;
        output.Append(CultureInfo.InvariantCulture, $"base memory: {machine.Layout.RamSize}\n");
        if (machine.Layout.HasDeviceMemory)
            output.Append(CultureInfo.InvariantCulture,
                $"plugged memory: {_monitor.MemoryDevices().Aggregate(0UL, (sum, d) => sum + d.Data.Size)}\n");
    }

    /// <summary>Waits, without output, until the migration is no longer active: the socket and stdio monitors' way.</summary>
    public static void AwaitQuietly(Migration.MigrationManager migration)
    {
        while (migration.Active)
            Thread.Sleep(50);
    }

    private static string Required(string args, string name) =>
        args.Length > 0 ? args : throw MonitorException.Generic($"Parameter '{name}' is missing");

    private void Help(string args, StringBuilder output)
    {
        if (args.Length > 0 && Find(_commands, args) is null)
        {
            output.Append(CultureInfo.InvariantCulture, $"unknown command: '{args}'\n");
            return;
        }
        foreach (var c in _commands.Where(c => args.Length == 0 || c.Name == args || c.Alias == args))
        {
            string name = c.Alias is null ? c.Name : $"{c.Name}|{c.Alias}";
            output.Append(c.Arguments.Length > 0 ? $"{name} {c.Arguments} -- {c.Help}\n" : $"{name}  -- {c.Help}\n");
        }
    }

    private void Info(string args, StringBuilder output)
    {
        if (args.Length == 0)
        {
            foreach (var c in _info)
                output.Append(CultureInfo.InvariantCulture, $"info {c.Name}  -- {c.Help}\n");
            return;
        }
        string name = args.Split(' ', 2)[0];
        var command = Find(_info, name);
        if (command is null)
        {
            output.Append(CultureInfo.InvariantCulture, $"unknown command: 'info {name}'\n");
            return;
        }
        command.Run("", output);
    }

    private void InfoStatus(StringBuilder output)
    {
        var status = _monitor.Status();
        output.Append("VM status: ").Append(status.Running ? "running" : "paused");
        if (!status.Running && status.Status != "paused")
            output.Append(" (").Append(status.Status).Append(')');
        output.Append('\n');
    }

    private void InfoMemoryDevices(StringBuilder output)
    {
        foreach (var device in _monitor.MemoryDevices())
        {
            var d = device.Data;
            Record(output, $"Memory device [{device.Type}]: \"{d.Id}\"",
                ("addr: ", $"0x{d.Addr:x}"), ("slot: ", $"{d.Slot}"), ("node: ", $"{d.Node}"), ("size: ", $"{d.Size}"),
                ("memdev: ", d.Memdev), ("hotplugged: ", Lower(d.Hotplugged)), ("hotpluggable: ", Lower(d.Hotpluggable)));
        }
    }

    private void InfoMemdev(StringBuilder output)
    {
        foreach (var m in _monitor.Memdevs())
        {
            // "size:  " with two spaces is QEMU's layout.
            Record(output, $"memory backend: {m.Id}",
                ("size:  ", $"{m.Size}"), ("merge: ", Lower(m.Merge)), ("dump: ", Lower(m.Dump)), ("prealloc: ", Lower(m.Prealloc)),
                ("share: ", Lower(m.Share)), ("reserve: ", Lower(m.Reserve)), ("policy: ", m.Policy),
                ("host nodes: ", string.Join(",", m.HostNodes)));
        }
        output.Append('\n');
    }

    /// <summary>A heading line, then "  label value" lines.</summary>
    private static void Record(StringBuilder output, string heading, params (string Label, string Value)[] fields)
    {
        output.Append(heading).Append('\n');
        foreach (var (label, value) in fields)
            output.Append("  ").Append(label).Append(value).Append('\n');
    }

    /// <summary>QEMU's "info migrate" lines for what vnvdimm measures.</summary>
    private void InfoMigrate(StringBuilder output)
    {
        var info = _monitor.Migration.Info();
        if (info.Status == Migration.MigrationStatus.None)
            return;
        output.Append(CultureInfo.InvariantCulture, $"Migration status: {Migration.MigrationStatuses.Name(info.Status)}");
        output.Append(info.ErrorDesc is string error ? $" (error: {error})\n" : "\n");
        if (info.TotalTime is long total)
            output.Append(CultureInfo.InvariantCulture, $"total time: {total} ms\n");
        if (info.Downtime is long downtime)
            output.Append(CultureInfo.InvariantCulture, $"downtime: {downtime} ms\n");
        if (info.SetupTime is long setup)
            output.Append(CultureInfo.InvariantCulture, $"setup: {setup} ms\n");
        if (info.Ram is { } ram)
        {
            output.Append(CultureInfo.InvariantCulture, $"transferred ram: {ram.Transferred >> 10} kbytes\n");
            output.Append(CultureInfo.InvariantCulture, $"throughput: {ram.Mbps:0.00} mbps\n");
            output.Append(CultureInfo.InvariantCulture, $"remaining ram: {ram.Remaining >> 10} kbytes\n");
            output.Append(CultureInfo.InvariantCulture, $"total ram: {ram.Total >> 10} kbytes\n");
            output.Append(CultureInfo.InvariantCulture, $"duplicate: {ram.Duplicate} pages\n");
            output.Append(CultureInfo.InvariantCulture, $"skipped: {ram.Skipped} pages\n");
            output.Append(CultureInfo.InvariantCulture, $"normal: {ram.Normal} pages\n");
            output.Append(CultureInfo.InvariantCulture, $"normal bytes: {ram.NormalBytes >> 10} kbytes\n");
            output.Append(CultureInfo.InvariantCulture, $"dirty sync count: {ram.DirtySyncCount}\n");
            output.Append(CultureInfo.InvariantCulture, $"page size: {ram.PageSize >> 10} kbytes\n");
        }
    }

    private void MigrateSetCapability(string args, StringBuilder output)
    {
        var words = args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2)
            throw MonitorException.Generic($"Parameter '{(words.Length == 0 ? "capability" : "state")}' is missing");
        bool state = words[1] switch
        {
            "on" or "true" => true,
            "off" or "false" => false,
            _ => throw MonitorException.Generic($"Parameter 'state' expects 'on' or 'off'"),
        };
        _monitor.Migrate(m => m.SetCapability(words[0], state));
    }

    private void MigrateSetParameter(string args, StringBuilder output)
    {
        var words = args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2)
            throw MonitorException.Generic($"Parameter '{(words.Length == 0 ? "parameter" : "value")}' is missing");
        if (words[0] != "max-bandwidth")
            throw MonitorException.Generic($"Parameter '{words[0]}' is not supported by vnvdimm (max-bandwidth is)");
        // As QEMU's HMP: a plain number is MiB/s, suffixes as for sizes.
        if (!SizeParser.TryParse(words[1], 1UL << 20, out ulong bytes))
            throw MonitorException.Generic($"Parameter 'max-bandwidth' expects a size");
        _monitor.Migration.SetMaxBandwidth(bytes);
    }

    private void QomList(string args, StringBuilder output)
    {
        using (_monitor.Machine.Enter())
            foreach (var p in _monitor.Qom.Resolve(Required(args, "path")).List())
                output.Append(CultureInfo.InvariantCulture, $"{p.Name} ({p.Type})\n");
    }

    private void QomGet(string args, StringBuilder output)
    {
        var words = args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2)
            throw MonitorException.Generic($"Parameter '{(words.Length == 0 ? "path" : "property")}' is missing");
        JsonNode? value;
        using (_monitor.Machine.Enter())
            value = _monitor.Qom.Resolve(words[0]).Get(words[1]);
        output.Append(value?.ToJsonString() ?? "null").Append('\n');
    }

    /// <summary>As QEMU's HMP qom-set: the value is text, read as a number or flag when it looks like one.</summary>
    private void QomSet(string args, StringBuilder output)
    {
        var words = args.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 3)
            throw MonitorException.Generic($"Parameter '{(words.Length == 0 ? "path" : words.Length == 1 ? "property" : "value")}' is missing");
        JsonNode node = words[2] switch
        {
            "on" or "yes" or "true" => JsonValue.Create(true),
            "off" or "no" or "false" => JsonValue.Create(false),
            // Digits are a number whatever their leading zeros ("01"), as QEMU's HMP reads them.
            var t when ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) => JsonValue.Create(n),
            var t => JsonValue.Create(t),
        };
        using var value = JsonDocument.Parse(node.ToJsonString());
        using (_monitor.Machine.Enter())
            _monitor.Qom.Resolve(words[0]).Set(words[1], value.RootElement);
    }

    private static string Lower(bool b) => b ? "true" : "false";
}
