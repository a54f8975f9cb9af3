using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text.Json;
using Spectre.Console;
using Vnvdimm.Cli.Layout;
using Vnvdimm.Cli.Tools.Rendering;
using Vnvdimm.Guest;
using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Namespaces;
using Vnvdimm.Guest.Ndctl;
using Vnvdimm.Guest.Nfit;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;

namespace Vnvdimm.Cli.Tools;

/// <summary>
/// The tools: <c>guest</c> (the guest toolkit against a running machine), <c>label</c> (the same
/// label code on a backing file, offline), <c>check</c> (is guest write persistence guaranteed?) and
/// <c>layout</c> (where a command line puts each NVDIMM, and what it would hide or cut off).
/// </summary>
public static class ToolCommands
{
    public static readonly string[] Names = ["guest", "label", "check", "layout"];

    public static int Run(string[] args)
    {
        // Named "vnvdimm", as the launcher is, whatever the native program is called.
        var root = new Command("vnvdimm", "vnvdimm tools") { Guest(), Label(), Check(), Layout(), new System.CommandLine.Help.HelpOption() };
        try
        {
            // Our own handler below prints user errors as "vnvdimm: message", not as a stack trace.
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is ToolException or InvalidOperationException or InvalidDataException or ConfigurationException)
        {
            ConsoleDiagnostics.Error(e.Message);
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ConsoleDiagnostics.Error(HostErrors.Describe(e));
            return 1;
        }
    }

    // ---- guest ----

    private static readonly Option<string?> QtestSocket = new("--qtest") { Description = "the qtest socket of a running machine: unix:PATH (or just PATH) or tcp:HOST:PORT, as its -qtest says" };
    private static readonly Option<bool> UseQemu = new("--qemu") { Description = "start qemu-system-x86_64 with the options after \"--\" instead of vnvdimm" };
    private static readonly Argument<string[]> MachineArgs = new("machine-options") { Arity = ArgumentArity.ZeroOrMore, Description = "after \"--\": the machine's options, to start it" };
    private static readonly Option<bool> Json = new("--json") { Description = "print JSON for programs" };
    private static readonly Option<double> Timeout = new("--timeout")
    {
        Description = "seconds a running machine (--qtest) may take to answer one command",
        DefaultValueFactory = _ => 30,
        CustomParser = r =>
        {
            string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double seconds) && seconds > 0 && double.IsFinite(seconds))
                return seconds;
            r.AddError($"--timeout {text}: give a number of seconds above 0");
            return 0;
        },
    };

    private static Command Guest()
    {
        var guest = new Command("guest", "the guest's view of a machine (QEMU or vnvdimm) over qtest");

        var list = GuestCommand("list", "DIMMs, regions and namespaces, as ndctl list -DRN", (g, r) =>
        {
            var listing = NdctlListing.From(g);
            NdctlListingPrinter.Write(listing, r.GetValue(Json));
            return listing.LabelProblems is null ? 0 : 1;
        }, Json);

        var dimmOption = new Option<string?>("--dimm") { Description = "nmemN (default: every DIMM with a label area)" };
        var readLabels = GuestCommand("read-labels", "the label areas through the DSM", (g, r) =>
        {
            var reports = SelectDimms(g, r.GetValue(dimmOption))
                .Select(x => LabelReport.From($"{x.Dimm.Device} (handle 0x{x.Dimm.Handle:x})", x.Store.Load())).ToList();
            LabelReport.Write(reports, r.GetValue(Json));
            return reports.Any(report => report.Problems.Count > 0) ? 1 : 0;
        }, dimmOption, Json);

        var version = new Option<string>("--version") { Description = "label format: 1.2 (256-byte labels, default) or 1.1", DefaultValueFactory = _ => "1.2" };
        var force = new Option<bool>("--force") { Description = "initialise even though labels exist (they are dropped)" };
        var oneDimm = new Option<string?>("--dimm") { Description = "nmemN (may be left out when one DIMM has a label area)" };
        var initLabels = GuestCommand("init-labels", "write an empty label set (two index blocks)", (g, r) =>
        {
            var candidates = SelectDimms(g, r.GetValue(oneDimm)).ToList();
            var (dimm, store) = candidates.Count switch
            {
                1 => candidates[0],
                0 => throw new ToolException("no DIMM has a label area (label-size=0, or no DSM)"),
                _ => throw new ToolException($"{candidates.Count} DIMMs have a label area ({string.Join(", ", candidates.Select(c => c.Dimm.Device))}): say which with --dimm"),
            };
            var format = ParseVersion(r.GetValue(version)!);
            Console.Out.WriteLine(ToolMessages.LabelsInitialised(dimm.Device, format, store.Initialize(format, r.GetValue(force))));
            return 0;
        }, oneDimm, version, force);

        var regionOption = new Option<string>("--region") { Description = "regionN", DefaultValueFactory = _ => "region0" };
        var size = new Option<string>("--size") { Description = "namespace size (K M G suffixes), a multiple of the region alignment", Required = true };
        var name = new Option<string>("--name") { Description = "namespace name", DefaultValueFactory = _ => "" };
        var uuid = new Option<Guid?>("--uuid") { Description = "namespace uuid (default: a new one)", CustomParser = r => ParseUuid(r) };
        var create = GuestCommand("create-namespace", "add a pmem namespace label", (g, r) =>
        {
            var region = FindRegion(g, r.GetValue(regionOption)!);
            var label = region.Create(Request(r.GetValue(size)!, r.GetValue(name)!, r.GetValue(uuid)));
            Console.Out.WriteLine(ToolMessages.NamespaceCreated(region.Name, label));
            return 0;
        }, regionOption, size, name, uuid);

        var uuidRequired = new Option<Guid>("--uuid") { Description = "the namespace's uuid", Required = true, CustomParser = r => ParseUuid(r) ?? Guid.Empty };
        var destroy = GuestCommand("destroy-namespace", "remove a namespace's labels", (g, r) =>
        {
            var id = r.GetValue(uuidRequired);
            int removed = 0;
            foreach (var (_, store) in SelectDimms(g, null))
                if (store.Load().Labels.Any(l => l.Uuid == id))
                    removed += store.Destroy(id);
            if (removed == 0)
                throw new ToolException($"no namespace with uuid {id}");
            Console.Out.WriteLine(ToolMessages.NamespaceDestroyed(null, id, removed));
            return 0;
        }, uuidRequired);

        foreach (var c in new[] { list, readLabels, initLabels, create, destroy })
            guest.Subcommands.Add(c);
        return guest;
    }

    private static Command GuestCommand(string name, string description, Func<NvdimmGuest, ParseResult, int> action, params Option[] options)
    {
        var command = new Command(name, description) { QtestSocket, UseQemu, Timeout, MachineArgs };
        foreach (var option in options)
            command.Options.Add(option);
        command.SetAction(r =>
        {
            using var connection = GuestTarget.Open(r.GetValue(QtestSocket), r.GetValue(UseQemu), r.GetValue(MachineArgs) ?? [], TimeSpan.FromSeconds(r.GetValue(Timeout)));
            return action(NvdimmGuest.Boot(connection), r);
        });
        return command;
    }

    /// <summary>A UUID as ndctl and QEMU write it; anything else is refused in those words, not as a .NET type name.</summary>
    private static Guid? ParseUuid(System.CommandLine.Parsing.ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (Guid.TryParseExact(text, "D", out var uuid))
            return uuid;
        result.AddError($"'{text}' is not a UUID (expected the form 01234567-89ab-cdef-0123-456789abcdef)");
        return null;
    }

    private static IEnumerable<(GuestDimm Dimm, LabelStore Store)> SelectDimms(NvdimmGuest guest, string? device)
    {
        var dimms = guest.Topology?.Dimms ?? [];
        if (device is not null && !dimms.Any(d => d.Device == device))
            throw new ToolException($"no DIMM {device} (the guest sees {(dimms.Count == 0 ? "none" : string.Join(", ", dimms.Select(d => d.Device)))})");
        foreach (var dimm in dimms.Where(d => device is null || d.Device == device))
        {
            if (guest.Labels(dimm) is LabelStore store)
                yield return (dimm, store);
            else if (device is not null)
                throw new ToolException($"{device} has no label area (label-size=0, or no DSM)");
        }
    }

    /// <summary>The guest's region and its first DIMM's label area through the DSM (null when it has none).</summary>
    private static NamespaceRegion FindRegion(NvdimmGuest guest, string device)
    {
        var region = guest.Topology?.Regions.FirstOrDefault(r => r.Device == device) ?? throw new ToolException($"no region {device}");
        return new NamespaceRegion(region.Device, region, guest.Labels(region.Mappings[0].Dimm), "an unarmed DIMM");
    }

    // ---- label (offline) ----

    private static readonly Argument<string> BackingFile = new("file") { Description = "the backend's mem-path" };
    private static readonly Option<string> LabelSize = new("--label-size") { Description = "the NVDIMM's label-size (its area is the file's last label-size bytes)", Required = true };

    private static Command Label()
    {
        var label = new Command("label", "the label area of a backing file, offline (the machine must not be running)");

        var dump = LabelCommand("dump", "print the index and labels", (file, labelSize, r) =>
        {
            using var storage = OpenLabels(file, labelSize, writable: false);
            var report = LabelReport.From(file, new LabelStore(storage).Load());
            LabelReport.Write([report], r.GetValue(Json));
            return report.Problems.Count > 0 ? 1 : 0;
        }, Json);

        var check = LabelCommand("check", "report problems (exit status 1 if any), change nothing", (file, labelSize, r) =>
        {
            LabelAreaState state;
            using (var storage = OpenLabels(file, labelSize, writable: false))
                state = new LabelStore(storage).Load();
            var report = LabelReport.From(file, state);
            if (r.GetValue(Json))
                LabelReport.Write([report], json: true);
            else if (state.Problems.Count == 0)
                Console.Out.WriteLine(ToolMessages.LabelAreaSound(file, state));
            else
                report.Print(AnsiConsole.Console);
            // Consistent labels in a half-copied file are no comfort: the mark says the rest may be old.
            if (IncompleteCopyMark.Read(file) is string why)
            {
                Console.Error.WriteLine(ToolMessages.IncompleteCopy(file, why));
                return 1;
            }
            return state.Problems.Count == 0 ? 0 : 1;
        }, Json);

        var version = new Option<string>("--version") { Description = "label format: 1.2 (default) or 1.1", DefaultValueFactory = _ => "1.2" };
        var force = new Option<bool>("--force") { Description = "initialise even though labels exist" };
        var init = LabelCommand("init", "write an empty label set", (file, labelSize, r) =>
        {
            using var storage = OpenLabels(file, labelSize, writable: true);
            var format = ParseVersion(r.GetValue(version)!);
            Console.Out.WriteLine(ToolMessages.LabelsInitialised(file, format, new LabelStore(storage).Initialize(format, r.GetValue(force))));
            return 0;
        }, version, force);

        var size = new Option<string>("--size") { Description = "namespace size", Required = true };
        var name = new Option<string>("--name") { Description = "namespace name", DefaultValueFactory = _ => "" };
        var uuid = new Option<Guid?>("--uuid") { Description = "namespace uuid (default: a new one)", CustomParser = r => ParseUuid(r) };
        var slot = new Option<int>("--slot") { Description = "the memory slot the NVDIMM is plugged into (its NFIT identity)", DefaultValueFactory = _ => 0 };
        var align = new Option<string>("--align") { Description = "the backend's align (default: the page size)", DefaultValueFactory = _ => "4K" };
        var create = LabelCommand("create-namespace", "add a pmem namespace label", (file, labelSize, r) =>
        {
            // A file nobody may write is a read-only backend to a machine, its NVDIMM unarmed: a read-only region,
            // refused below. Opened without write access then, so that refusal is what the user reads.
            bool readOnly = FileLabelStorage.IsReadOnly(file);
            using var storage = OpenLabels(file, labelSize, writable: !readOnly);
            var region = new NamespaceRegion(file, OfflineRegion.For(file, labelSize, r.GetValue(slot), ParseSize(r.GetValue(align)!), unarmed: readOnly),
                new LabelStore(storage), "no write permission");
            var created = region.Create(Request(r.GetValue(size)!, r.GetValue(name)!, r.GetValue(uuid)));
            Console.Out.WriteLine(ToolMessages.NamespaceCreated(file, created));
            return 0;
        }, size, name, uuid, slot, align);

        var uuidRequired = new Option<Guid>("--uuid") { Description = "the namespace's uuid", Required = true, CustomParser = r => ParseUuid(r) ?? Guid.Empty };
        var destroy = LabelCommand("destroy-namespace", "remove a namespace's labels", (file, labelSize, r) =>
        {
            using var storage = OpenLabels(file, labelSize, writable: true);
            int removed = new LabelStore(storage).Destroy(r.GetValue(uuidRequired));
            Console.Out.WriteLine(ToolMessages.NamespaceDestroyed(file, r.GetValue(uuidRequired), removed));
            return 0;
        }, uuidRequired);

        foreach (var c in new[] { dump, check, init, create, destroy })
            label.Subcommands.Add(c);
        return label;
    }

    private static Command LabelCommand(string name, string description, Func<string, ulong, ParseResult, int> action, params Option[] options)
    {
        var command = new Command(name, description) { BackingFile, LabelSize };
        foreach (var option in options)
            command.Options.Add(option);
        command.SetAction(r =>
        {
            string file = r.GetValue(BackingFile)!;
            if (!File.Exists(file))
                throw new ToolException($"{file}: no such file");
            return action(file, ParseSize(r.GetValue(LabelSize)!), r);
        });
        return command;
    }

    private static FileLabelStorage OpenLabels(string file, ulong labelSize, bool writable)
    {
        try
        {
            return new FileLabelStorage(file, (uint)labelSize, writable);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ToolException($"{file}: {HostErrors.Describe(e, file)}");
        }
    }

    // ---- check ----

    private static Command Check()
    {
        var objects = new Argument<string[]>("backend") { Arity = ArgumentArity.OneOrMore, Description = "memory-backend-file,id=...,mem-path=...,share=on,pmem=on (as -object takes it; -object itself may precede it)" };
        var command = new Command("check", "is guest write persistence guaranteed for these backends, and if not, why") { objects, Json };
        command.SetAction(r =>
        {
            var verdicts = r.GetValue(objects)!.Where(a => a != "-object")
                .Select(a => PersistenceCheck.Evaluate(CommandLineParser.ParseBackend(OptionGroup.Parse("object", a, "qom-type")))).ToList();
            PersistenceVerdictPrinter.Write(verdicts, r.GetValue(Json));
            return verdicts.All(v => v.Guaranteed) ? 0 : 2;
        });
        return command;
    }

    // ---- layout ----

    private static Command Layout()
    {
        var options = new Argument<string[]>("qemu-options") { Arity = ArgumentArity.ZeroOrMore, Description = "after \"--\": a vnvdimm or QEMU command line (with or without the program)" };
        var command = new Command("layout", "where each NVDIMM goes and where its label area sits in its file, with warnings that prevent data loss; " +
            "exit status 1 on a warning, 2 when the options would not start; reads files, changes nothing") { options, Json };
        command.SetAction(r =>
        {
            LayoutReport report;
            try
            {
                var args = r.GetValue(options) ?? [];
                if (args.Length == 0)
                    throw new ConfigurationException("give the machine's command line after \"--\" (vnvdimm's or QEMU's options)");
                report = LayoutPlanner.Plan(args);
            }
            catch (ConfigurationException e)
            {
                ConsoleDiagnostics.Error(e.ToString());
                return 2;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ConsoleDiagnostics.Error(HostErrors.Describe(e));
                return 2;
            }
            if (r.GetValue(Json))
                Console.Out.WriteLine(JsonSerializer.Serialize(report, LayoutJsonContext.Default.LayoutReport));
            else
                LayoutPrinter.Print(report, AnsiConsole.Console);
            return report.HasWarnings ? 1 : 0;
        });
        return command;
    }

    // ---- shared ----

    private static NamespaceRequest Request(string size, string name, Guid? uuid) => new(ParseSize(size), name, uuid ?? Guid.NewGuid());

    private static LabelVersion ParseVersion(string text) => text switch
    {
        "1.1" => LabelVersion.V1_1,
        "1.2" => LabelVersion.V1_2,
        _ => throw new ToolException($"--version {text}: use 1.1 or 1.2"),
    };

    private static ulong ParseSize(string text) =>
        SizeParser.TryParse(text, 1, out ulong value) ? value : throw new ToolException($"'{text}' is not a size");
}
