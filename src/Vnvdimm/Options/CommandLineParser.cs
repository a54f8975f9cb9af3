namespace Vnvdimm.Options;

/// <summary>Run a machine, or print <see cref="ParsedCommandLine.Output"/> (help, version, an option's help) and exit 0.</summary>
public enum CommandLineAction { Run, Help, Version, Print }

/// <param name="Skipped">With <see cref="ForeignOptions.Skip"/>: the options passed over, as typed.</param>
/// <param name="Hidden">With <see cref="ForeignOptions.Skip"/>: skipped options that hide the NVDIMMs from the guest.</param>
/// <param name="Notes">With <see cref="ForeignOptions.Skip"/>: how options were read that vnvdimm itself would refuse.</param>
/// <param name="CpuGiven">With <see cref="ForeignOptions.Skip"/>: a -cpu was skipped (its vendor and phys-bits matter near 1 TiB).</param>
public sealed record ParsedCommandLine(CommandLineAction Action, MachineConfiguration Configuration, string? Output = null)
{
    public bool CpuGiven { get; init; }
    public IReadOnlyList<string> Skipped { get; init; } = [];
    public IReadOnlyList<string> Hidden { get; init; } = [];
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>
/// Reads QEMU's command line. Only syntax and what can be checked without touching the host is
/// decided here; everything that needs files or the machine layout is checked by the builder.
/// </summary>
public static class CommandLineParser
{
    private enum Arity { Flag, Value }

    private static readonly Dictionary<string, (string Canonical, Arity Arity)> Known = new()
    {
        ["machine"] = ("machine", Arity.Value), ["M"] = ("machine", Arity.Value),
        ["m"] = ("m", Arity.Value),
        ["object"] = ("object", Arity.Value),
        ["device"] = ("device", Arity.Value),
        ["numa"] = ("numa", Arity.Value),
        ["qtest"] = ("qtest", Arity.Value),
        ["qtest-log"] = ("qtest-log", Arity.Value),
        ["qmp"] = ("qmp", Arity.Value),
        ["monitor"] = ("monitor", Arity.Value),
        ["chardev"] = ("chardev", Arity.Value),
        ["mon"] = ("mon", Arity.Value),
        ["serial"] = ("serial", Arity.Value),
        ["incoming"] = ("incoming", Arity.Value),
        ["S"] = ("S", Arity.Flag),
        ["nodefaults"] = ("nodefaults", Arity.Flag),
        ["display"] = ("display", Arity.Value),
        ["nographic"] = ("nographic", Arity.Flag),
        ["name"] = ("name", Arity.Value),
        ["accel"] = ("accel", Arity.Value),
        ["pidfile"] = ("pidfile", Arity.Value),
        ["h"] = ("help", Arity.Flag), ["help"] = ("help", Arity.Flag),
        ["version"] = ("version", Arity.Flag),
    };

    /// <summary>Options QEMU has that later vnvdimm capabilities will serve; refused clearly until then.</summary>
    private static readonly HashSet<string> NotYet = ["daemonize"];


    public static ParsedCommandLine Parse(IReadOnlyList<string> args, ForeignOptions foreign = ForeignOptions.Refuse)
    {
        bool skip = foreign == ForeignOptions.Skip;
        var state = skip ? new SkipState() : null;
        var config = new MachineConfiguration();
        var backends = new List<BackendOptions>();
        var nvdimms = new List<NvdimmOptions>();
        var numa = new List<NumaNodeOptions>();
        var objectIds = new HashSet<string>(StringComparer.Ordinal);
        var deviceIds = new HashSet<string>(StringComparer.Ordinal);
        var chardevs = new Dictionary<string, EndpointOptions>(StringComparer.Ordinal);
        var mons = new List<OptionGroup>();
        var serials = new List<string>();
        bool accelOption = false, machineAccel = false;
        // Character devices are created in command-line order, serial ports after them, qtest's last: the
        // second to claim stdio is the one refused, as in QEMU.
        var stdioUsers = new List<EndpointOptions>();

        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (skip && i == 0 && IsProgram(Path.GetFileName(arg)))
                continue; // a command line pasted with its program
            if (arg.Length < 2 || arg[0] != '-')
                throw new ConfigurationException($"{arg}: invalid option (vnvdimm boots no disk image; see -h)");
            string name = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : arg[1..];
            if (state is not null && SkipForeign(args, ref i, name, state))
                continue;
            if (NotYet.Contains(name))
                throw new ConfigurationException($"{arg}: invalid option (not supported by this vnvdimm version yet)");
            if (!Known.TryGetValue(name, out var option))
                throw new ConfigurationException($"{arg}: invalid option");

            string value = "";
            if (option.Arity == Arity.Value)
            {
                if (i + 1 >= args.Count)
                    throw new ConfigurationException($"{arg}: requires an argument");
                value = args[++i];
            }

            if (OptionHelp.For(option.Canonical, value) is string help)
                return new(CommandLineAction.Print, config, help); // as QEMU: the help is printed when its option is read

            switch (option.Canonical)
            {
                case "help":
                    return new(CommandLineAction.Help, config);
                case "version":
                    return new(CommandLineAction.Version, config);
                case "machine":
                    var machineGroup = OptionGroup.Parse("machine", value, "type", arg);
                    machineAccel |= machineGroup.Has("accel");
                    config = config with { Machine = ParseMachine(machineGroup, config.Machine, state) };
                    break;
                case "m":
                    var memoryGroup = OptionGroup.Parse("m", value, "size", arg);
                    if (state is not null)
                        state.RamSizeGiven = memoryGroup.Has("size");
                    config = config with { Memory = ParseMemory(memoryGroup) };
                    break;
                case "object":
                    var objectGroup = OptionGroup.Parse("object", value, "qom-type", arg);
                    if (state is not null && !IsMemoryBackend(objectGroup))
                    {
                        state.Skipped.Add($"{arg} {value}");
                        break;
                    }
                    var backend = ParseBackend(objectGroup, foreign);
                    if (!objectIds.Add(backend.Id))
                        throw objectGroup.IsJson
                            ? new ConfigurationException($"attempt to add duplicate property '{backend.Id}' to object (type 'container')")
                            : new ConfigurationException($"Duplicate ID '{backend.Id}' for object", $"-object {value}");
                    backends.Add(backend);
                    break;
                case "device":
                    var deviceGroup = OptionGroup.Parse("device", value, "driver", arg);
                    if (state is not null && deviceGroup.Has("driver") && deviceGroup.String("driver") != "nvdimm")
                    {
                        if (QemuOptionTable.MemoryDevices.Contains(deviceGroup.String("driver")!))
                            throw deviceGroup.Error("this memory device takes a slot or device-memory space that vnvdimm does not model: " +
                                "the NVDIMMs' places cannot be predicted");
                        state.Skipped.Add($"{arg} {value}");
                        break;
                    }
                    var nvdimm = ParseDevice(deviceGroup);
                    if (nvdimm.Id is not null && !deviceIds.Add(nvdimm.Id))
                        throw new ConfigurationException(
                            deviceGroup.IsJson ? $"Duplicate device ID '{nvdimm.Id}'" : $"Duplicate ID '{nvdimm.Id}' for device", nvdimm.Location);
                    nvdimms.Add(nvdimm);
                    break;
                case "numa":
                    var numaGroup = OptionGroup.Parse("numa", value, "type", arg);
                    if (state is not null && numaGroup.String("type") != "node")
                    {
                        state.Skipped.Add($"{arg} {value}"); // distances and CPU placement move no memory
                        break;
                    }
                    numa.Add(ParseNuma(numaGroup, numa.Count, skip));
                    break;
                case "qtest":
                    config = config with { Qtest = ChardevParser.ParseShort(OptionGroup.Parse("qtest", value, "backend")) };
                    break;
                case "qmp":
                    if (ChardevParser.ParseShort(OptionGroup.Parse("qmp", value, "backend")) is EndpointOptions qmp)
                    {
                        config = config with { Qmp = [.. config.Qmp, qmp] };
                        stdioUsers.Add(qmp);
                    }
                    break;
                case "monitor":
                    if (ChardevParser.ParseShort(OptionGroup.Parse("monitor", value, "backend")) is EndpointOptions monitor)
                    {
                        config = config with { Monitors = [.. config.Monitors, monitor] };
                        stdioUsers.Add(monitor);
                    }
                    break;
                case "chardev":
                    var chardevGroup = OptionGroup.Parse("chardev", value, "backend");
                    var (chardevId, chardev) = ChardevParser.ParseLong(chardevGroup);
                    if (!chardevs.TryAdd(chardevId, chardev))
                        throw chardevGroup.Error($"Duplicate ID '{chardevId}' for chardev");
                    stdioUsers.Add(chardev);
                    break;
                case "serial":
                    serials.Add(value); // resolved once every -chardev is known
                    break;
                case "mon":
                    mons.Add(OptionGroup.Parse("mon", value, "chardev")); // resolved once every -chardev is known, as QEMU does
                    break;
                case "qtest-log":
                    config = config with { QtestLog = value };
                    break;
                case "incoming":
                    if (value != "defer")
                        Migration.MigrationUri.Parse(value, $"-incoming {value}");
                    config = config with { Incoming = value };
                    break;
                case "S":
                    config = config with { StartStopped = true };
                    break;
                case "display":
                    var display = OptionGroup.Parse("display", value, "type");
                    if (display.String("type") != "none")
                        throw display.Error("vnvdimm has no display: use -display none");
                    display.RejectUnknown();
                    break;
                case "accel":
                    ParseAccelerator(OptionGroup.Parse("accel", value, "accel"));
                    accelOption = true;
                    break;
                case "name":
                    config = config with { Name = OptionGroup.Parse("name", value, "guest").String("guest") };
                    break;
                case "pidfile":
                    config = config with { PidFile = value };
                    break;
                case "nodefaults" or "nographic":
                    break;
            }
        }

        if (accelOption && machineAccel)
            throw new ConfigurationException("The -accel and \"-machine accel=\" options are incompatible");
        config = AttachMonitors(config, mons, chardevs);
        var serialPorts = serials.Select(v => (Value: v, Port: SerialPort(v, chardevs))).Where(s => s.Port is not null).ToList();
        // "mon:" multiplexes HMP onto the port: with no guest writing to it, the port is the monitor.
        var serialMonitors = serialPorts.Where(s => s.Value.StartsWith("mon:", StringComparison.Ordinal)).Select(s => s.Port!).ToList();
        config = config with { Monitors = [.. config.Monitors, .. serialMonitors] };
        // A chardev no monitor uses is opened all the same (a harness may wait for its connection), as in QEMU.
        var idle = chardevs.Values.Where(c => !config.Qmp.Contains(c) && !config.Monitors.Contains(c))
            .Union(serialPorts.Select(s => s.Port!).Where(p => !serialMonitors.Contains(p))).ToList();
        config = config with { Idle = idle };
        CheckStdio(stdioUsers, config.Qtest, serialPorts.Select(s => s.Port!).Where(p => !chardevs.ContainsValue(p)));
        if (state?.RamBackend is string ramBackend)
            config = config with { Memory = RamFromBackend(config.Memory, ramBackend, backends, state.RamSizeGiven) };
        return new(CommandLineAction.Run, config with { Backends = backends, Nvdimms = nvdimms, NumaNodes = numa })
        {
            Skipped = state?.Skipped ?? [],
            Hidden = state?.Hidden ?? [],
            Notes = state?.Notes ?? [],
            CpuGiven = state?.CpuGiven ?? false,
        };
    }

    private static bool IsProgram(string name) =>
        name.StartsWith("qemu", StringComparison.Ordinal) || name is "kvm" or "vnvdimm" or "vnvdimm-cli";

    /// <summary>What skip mode gathers on the way.</summary>
    private sealed class SkipState
    {
        public List<string> Skipped { get; } = [];
        public List<string> Hidden { get; } = [];
        public List<string> Notes { get; } = [];
        public bool RamSizeGiven { get; set; }
        public bool CpuGiven { get; set; }

        /// <summary>-machine memory-backend=ID: RAM is that backend (libvirt's way).</summary>
        public string? RamBackend { get; set; }
    }

    /// <summary>RAM from <c>-machine memory-backend=ID</c>: the backend's size, which an explicit -m size must equal.</summary>
    private static MemoryOptions RamFromBackend(MemoryOptions memory, string id, List<BackendOptions> backends, bool sizeGiven)
    {
        var backend = backends.Find(b => b.Id == id) ?? throw new ConfigurationException($"Memory backend '{id}' not found");
        if (sizeGiven && backend.Size != memory.RamSize)
            throw new ConfigurationException("Machine memory size does not match the size of the memory backend");
        return memory with { RamSize = backend.Size, MaxMem = Math.Max(memory.MaxMem, backend.Size) };
    }

    /// <summary>The options that decide memory layout, read even when everything else is skipped.</summary>
    private static readonly HashSet<string> LayoutOptions = ["machine", "m", "object", "device", "numa", "incoming"];

    /// <summary>In skip mode: passes over an option that cannot move an NVDIMM (and its argument); refuses one that might.</summary>
    private static bool SkipForeign(IReadOnlyList<string> args, ref int i, string name, SkipState state)
    {
        string canonical = Known.TryGetValue(name, out var known) ? known.Canonical : name;
        if (LayoutOptions.Contains(canonical))
            return false;
        if (QemuOptionTable.Unpredictable.Contains(name))
            throw new ConfigurationException(
                $"{args[i]}: may change memory devices in ways the layout planner does not read; give the options directly");
        if (known.Canonical is null && !QemuOptionTable.All.Contains(name))
            throw new ConfigurationException($"{args[i]}: invalid option"); // QEMU's answer too
        bool flag = known.Canonical is not null ? known.Arity == Arity.Flag : QemuOptionTable.Flags.Contains(name);
        string typed = args[i];
        if (!flag && i + 1 < args.Count)
            typed += " " + args[++i];
        if (name == "no-acpi")
            state.Hidden.Add("-no-acpi: the guest has no ACPI tables, so no NFIT: it sees none of these NVDIMMs");
        if (name == "cpu")
            state.CpuGiven = true;
        state.Skipped.Add(typed);
        return true;
    }

    private static bool IsMemoryBackend(OptionGroup group)
    {
        string? type = group.Has("qom-type") ? group.String("qom-type") : null;
        if (type == "memory-backend-epc")
            throw group.Error("SGX EPC memory moves the memory devices above it, which the layout planner does not model");
        return type is "memory-backend-file" or "memory-backend-ram" or "memory-backend-memfd";
    }

    /// <summary>
    /// Only one character device may have standard I/O. QEMU opens the chardevs (and -qmp/-monitor) in
    /// command-line order, then qtest's, then the serial ports: the second claimant is refused.
    /// </summary>
    private static void CheckStdio(IEnumerable<EndpointOptions> chardevs, EndpointOptions? qtest, IEnumerable<EndpointOptions> serialPorts)
    {
        const string Message = "cannot use stdio by multiple character devices";
        var claimants = chardevs.Where(e => e.Kind == EndpointKind.Stdio).ToList();
        if (claimants.Count > 1)
            throw new ConfigurationException(Message, claimants[1].Source);
        if (qtest?.Kind == EndpointKind.Stdio)
        {
            if (claimants.Count > 0)
                throw new ConfigurationException(Message) { Hint = "Failed to initialize device for qtest: \"stdio\"" };
            claimants.Add(qtest);
        }
        foreach (var serial in serialPorts.Where(e => e.Kind == EndpointKind.Stdio))
        {
            if (claimants.Count > 0)
                throw new ConfigurationException(Message, serial.Source);
            claimants.Add(serial);
        }
    }

    /// <summary>
    /// A <c>-serial</c> port: there is no CPU to write to it, so it is an endpoint opened and drained.
    /// null for none/null; a chardev by id; stdio or a socket in the short form; other backends refused.
    /// </summary>
    private static EndpointOptions? SerialPort(string value, Dictionary<string, EndpointOptions> chardevs)
    {
        string location = $"-serial {value}";
        var couldNot = $"could not connect serial device to character backend '{value}'";
        if (value is "none" or "null")
            return null;
        if (value.StartsWith("chardev:", StringComparison.Ordinal))
            return chardevs.TryGetValue(value["chardev:".Length..], out var chardev) ? chardev : throw new ConfigurationException(couldNot, location);
        string spec = value.StartsWith("mon:", StringComparison.Ordinal) ? value[4..] : value;
        string backend = spec.Split(':', ',')[0];
        if (spec != "stdio" && backend is not ("unix" or "tcp"))
            throw new ConfigurationException(ChardevParser.QemuDrivers.Contains(backend)
                ? $"chardev driver '{backend}' is not supported by vnvdimm: use none, null, stdio, mon:stdio, chardev:ID, unix: or tcp:"
                : $"'{backend}' is not a valid char driver", location);
        return ChardevParser.ParseShort(OptionGroup.Parse("serial", spec, "backend")) is { } port ? port with { Source = location } : null;
    }

    /// <summary>Each <c>-mon</c> takes one <c>-chardev</c>, whichever came first on the line; a chardev serves one monitor.</summary>
    private static MachineConfiguration AttachMonitors(
        MachineConfiguration config, List<OptionGroup> mons, Dictionary<string, EndpointOptions> chardevs)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in mons)
        {
            var (id, control) = ChardevParser.ParseMon(group);
            if (!chardevs.TryGetValue(id, out var endpoint))
                throw group.Error($"chardev \"{id}\" not found");
            if (!used.Add(id))
                throw group.Error($"Device '{id}' is in use");
            config = control ? config with { Qmp = [.. config.Qmp, endpoint] } : config with { Monitors = [.. config.Monitors, endpoint] };
        }
        return config;
    }

    /// <summary>
    /// vnvdimm runs no guest code, so every accelerator QEMU's x86 emulator knows is accepted and none is
    /// used; qtest is libqtest's. Anything else is refused in QEMU's words.
    /// </summary>
    private static void ParseAccelerator(OptionGroup group)
    {
        string accel = group.RequiredString("accel");
        if (accel is not ("qtest" or "tcg" or "kvm"))
            throw group.Error($"invalid accelerator {accel}");
        // Their tuning properties (QEMU 7.2's), checked as QEMU checks them, then ignored: there is no CPU.
        if (accel == "tcg")
        {
            if (group.String("thread") is string thread && thread is not ("single" or "multi"))
                throw group.Error("Invalid 'thread' setting " + thread);
            if (group.Number("tb-size") > uint.MaxValue)
                throw group.Error("Parameter 'tb-size' expects uint32_t");
            group.Bool("split-wx");
        }
        else if (accel == "kvm")
        {
            foreach (string property in new[] { "kernel-irqchip", "kvm-shadow-mem", "dirty-ring-size", "notify-vmexit", "notify-window" })
                group.Ignore(property);
        }
        group.RejectUnknown(key => $"Property '{accel}-accel.{key}' not found");
    }


    /// <param name="skipMode">
    /// Skip mode: older types of a family are read by 7.2's rules, properties that move no memory pass, and what they mean is noted.
    /// </param>
    private static MachineOptions ParseMachine(OptionGroup group, MachineOptions current, SkipState? skipMode = null)
    {
        string? type = group.String("type");
        var machine = current;
        if (type is not null)
        {
            var found = MachineTypes.Find(type);
            var version = MachineOptions.Default.Version;
            if (found is null && skipMode is not null && QemuOptionTable.VersionedFamily(type) is var (family, familyVersion))
            {
                skipMode.Notes.Add($"-machine {type}: laid out by QEMU 7.2's rules for {type}, " +
                    $"as {family.Name}'s but for the version's own compatibility settings");
                (found, version) = (family, familyVersion);
            }
            if (found is null)
                throw new ConfigurationException("unsupported machine type") { Hint = "Use -machine help to list supported machines" };
            machine = machine with { Chipset = found.Chipset, TypeName = found.Name, Version = version };
        }
        if (skipMode is not null)
        {
            if (group.String("acpi") is "off" or "no" or "false" or "n")
                skipMode.Hidden.Add("-machine acpi=off: the guest has no ACPI tables, so no NFIT: it sees none of these NVDIMMs");
            if (group.String("memory-backend") is string ramBackend)
                skipMode.RamBackend = ramBackend;
            foreach (string harmless in QemuOptionTable.HarmlessMachineProperties)
                group.Ignore(harmless);
        }
        try
        {
            return ParseMachineProperties(group, machine, skipMode);
        }
        catch (ConfigurationException e) when (e.Location is not null)
        {
            // QEMU sets machine properties after parsing, so its complaints about them name no option.
            throw new ConfigurationException(e.Message) { Hint = e.Hint };
        }
    }

    private static MachineOptions ParseMachineProperties(OptionGroup group, MachineOptions machine, SkipState? skipMode)
    {
        // The legacy "accel=kvm:tcg" list: QEMU takes the first that works, failing only when none does;
        // every one vnvdimm knows works (there is no CPU to accelerate).
        if (group.String("accel") is string accels && !accels.Split(':').Any(a => a is "qtest" or "tcg" or "kvm"))
            throw new ConfigurationException($"invalid accelerator {accels.Split(':')[0]}");
        if (machine.Chipset == ChipsetKind.None)
        {
            // The empty machine has RAM and nothing else: no ACPI, so no NVDIMM properties either.
            RejectUnknownProperties(group, machine, skipMode);
            return machine;
        }
        if (group.Bool("nvdimm") is bool nvdimm)
            machine = machine with { Nvdimm = nvdimm };
        if (group.String("nvdimm-persistence") is string persistence)
        {
            machine = machine with
            {
                Persistence = persistence switch
                {
                    "cpu" => PersistenceDomain.Cpu,
                    "mem-ctrl" => PersistenceDomain.MemoryController,
                    _ => throw new ConfigurationException($"-machine nvdimm-persistence={persistence}: unsupported option"),
                },
            };
        }
        RejectUnknownProperties(group, machine, skipMode);
        return machine;
    }

    /// <summary>QEMU's refusal; in skip mode, a property that might move memory (libvirt's usb=off and the like passed already).</summary>
    private static void RejectUnknownProperties(OptionGroup group, MachineOptions machine, SkipState? skipMode) =>
        group.RejectUnknown(key => skipMode is null
            ? $"Property '{machine.TypeName}-machine.{key}' not found"
            : $"-machine {key}=: the layout planner does not model this property, and it could move the NVDIMMs");

    private static MemoryOptions ParseMemory(OptionGroup group)
    {
        // Read as bytes first (so "1.5" without a unit is refused, as QEMU refuses it), then a plain number
        // is MiB; QEMU rounds RAM up to 8 KiB. maxmem follows the ordinary size rule (bytes).
        ulong ram = group.Size("size") ?? 0;
        if (ram != 0 && char.IsAsciiDigit(group.String("size")![^1]))
            ram = ram <= ulong.MaxValue >> 20
                ? ram << 20
                : throw new ConfigurationException($"Value '{group.String("size")}M' is out of range for parameter 'size'");
        if (ram == 0)
            ram = MemoryOptions.DefaultRamSize; // -m 0 is the default size, as in QEMU
        ram = ram <= ulong.MaxValue - 8191 ? (ram + 8191) & ~8191UL : throw new ConfigurationException("ram size too large");
        ulong? slots = group.Number("slots");
        ulong? maxmem = group.Size("maxmem");
        group.RejectUnknown();

        if (slots is not null && maxmem is null)
            throw new ConfigurationException("slots specified but no max-size");
        if (maxmem is ulong max && max < ram)
            throw new ConfigurationException(
                $"invalid value of maxmem: maximum memory size (0x{max:x}) must be at least the initial memory size (0x{ram:x})");
        if (slots is > 0 && maxmem == ram)
            throw new ConfigurationException("invalid value of maxmem: memory slots were specified but " +
                $"maximum memory size (0x{maxmem:x}) is equal to the initial memory size (0x{ram:x})");
        if (slots > uint.MaxValue)
            throw new ConfigurationException($"unsupported amount of memory slots: {slots}");
        return new MemoryOptions(ram, (uint)(slots ?? 0), maxmem ?? ram);
    }

    /// <summary>A memory backend from <c>-object</c> or the monitor's <c>object-add</c>.</summary>
    /// <param name="foreign">Skip mode also reads memfd backends (as RAM) and passes over properties that change no size or file.</param>
    public static BackendOptions ParseBackend(OptionGroup group, ForeignOptions foreign = ForeignOptions.Refuse)
    {
        string type = group.RequiredType("qom-type");
        bool isFile = type switch
        {
            "memory-backend-file" => true,
            "memory-backend-ram" => false,
            "memory-backend-memfd" when foreign == ForeignOptions.Skip => false,
            _ => throw group.Error($"Parameter 'qom-type' does not accept value '{type}'"),
        };
        if (foreign == ForeignOptions.Skip)
            foreach (string key in QemuOptionTable.IgnorableBackendProperties)
                group.Ignore(key);
        string id = Identifier(group, group.RequiredString("id"))!;
        string? path = isFile ? group.RequiredString("mem-path") : null;
        ulong size = group.Size("size") ?? throw group.Error("Parameter 'size' is missing");
        var backend = new BackendOptions(id, size, group.Bool("share") ?? false, path)
        {
            Location = group.Location,
            Prealloc = group.Bool("prealloc") ?? false,
        };
        if (isFile)
        {
            backend = backend with
            {
                Align = group.Size("align") ?? 0,
                Pmem = group.Bool("pmem") ?? false,
                Readonly = group.Bool("readonly") ?? false,
                DiscardData = group.Bool("discard-data") ?? false,
            };
        }
        group.RejectUnknown();
        if (size == 0)
            throw new ConfigurationException($"property 'size' of {type} doesn't take value '0'");
        return backend;
    }

    /// <summary>An NVDIMM from <c>-device</c> or the monitor's <c>device_add</c>.</summary>
    public static NvdimmOptions ParseDevice(OptionGroup group)
    {
        string driver = group.RequiredType("driver");
        if (driver != "nvdimm")
            throw group.Error($"'{driver}' is not a valid device model name");
        if (group.Has("size"))
            throw group.Error("Property 'nvdimm.size' is not writable"); // it follows from the backend and label-size

        ulong labelSize = group.Size("label-size") ?? 0;
        if (group.Has("label-size") && labelSize < Devices.NvdimmLimits.MinLabelSize)
            throw group.Error($"Property 'nvdimm.label-size' (0x{labelSize:x}) is required at least 0x{Devices.NvdimmLimits.MinLabelSize:x}");

        Guid uuid = Guid.Empty;
        if (group.String("uuid") is string text && (text.Trim().Length != text.Length || !Guid.TryParseExact(text, "D", out uuid)))
            throw group.Error("Property 'nvdimm.uuid' has invalid value");

        int? slot = group.Int32("slot") is int s && s != -1 ? s : null;

        ulong node = group.Number("node") ?? 0;
        if (node > uint.MaxValue)
            throw group.Error("Parameter 'node' expects uint32_t");

        var nvdimm = new NvdimmOptions(
            Identifier(group, group.String("id")),
            group.String("memdev") is { Length: > 0 } memdev ? memdev : null, // QOM reads an empty link as unset
            labelSize,
            group.Bool("unarmed") ?? false,
            uuid,
            slot,
            (uint)node,
            group.Number("addr") ?? 0,
            group.Location);
        group.RejectUnknown(key => $"Property 'nvdimm.{key}' not found");
        return nvdimm;
    }

    /// <param name="lenient">Skip mode: CPU placement and initiator keys are passed over.</param>
    private static NumaNodeOptions ParseNuma(OptionGroup group, int index, bool lenient = false)
    {
        string type = group.RequiredString("type");
        if (type != "node")
            throw group.Error($"Parameter 'type' does not accept value '{type}'");
        if (group.Has("mem"))
            throw new ConfigurationException("Parameter -numa node,mem is not supported by this machine type", group.Location)
            {
                Hint = "Use -numa node,memdev instead",
            };
        ulong nodeId = group.Number("nodeid") ?? (ulong)index;
        string? memdev = group.String("memdev");
        if (lenient)
        {
            foreach (string key in new[] { "cpus", "initiator" })
                group.Ignore(key);
        }
        group.RejectUnknown();
        if (nodeId >= 128)
            throw group.Error($"Max number of NUMA nodes reached: {nodeId}");
        return new NumaNodeOptions((uint)nodeId, memdev, group.Location);
    }

    /// <summary>
    /// QEMU's rule for ids: a letter, then letters, digits, '-', '.', '_'. Anything else could not be named
    /// in a QOM path, and would reach HMP output as it is (a newline in an id could fake a prompt).
    /// </summary>
    internal static string? Identifier(OptionGroup group, string? id)
    {
        if (id is null || (id.Length > 0 && char.IsAsciiLetter(id[0]) && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')))
            return id;
        throw new ConfigurationException("Parameter 'id' expects an identifier", group.Location)
        {
            Hint = "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.",
        };
    }
}
