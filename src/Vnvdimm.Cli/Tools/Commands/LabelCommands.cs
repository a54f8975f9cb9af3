using System.CommandLine;
using Spectre.Console;
using Vnvdimm.Cli.Tools.Rendering;
using Vnvdimm.Cli.Tools.Targets;
using Vnvdimm.Devices;
using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Namespaces;
using Vnvdimm.Guest.Ndctl;
using Vnvdimm.Guest.Nfit;
using Vnvdimm.HostMemory;

namespace Vnvdimm.Cli.Tools.Commands;

/// <summary><c>vnvdimm label ...</c>: the guest toolkit's label code on a backing file's label area, offline.</summary>
internal static class LabelCommands
{
    public static Command Create()
    {
        var label = new Command("label", "the label area of a backing file, offline (the machine must not be running)");
        foreach (var command in new[] { Dump(), Check(), Init(), CreateNamespace(), DestroyNamespace(), Format() })
            label.Subcommands.Add(command);
        return label;
    }

    /// <summary>Exit status 1 when the area has problems.</summary>
    private static Command Dump()
    {
        var json = SharedOptions.Json();
        return LabelCommand("dump", "print the index, the labels and the namespaces (as ndctl list -N)", (file, r) =>
        {
            var report = Inspect(file);
            LabelReport.Write([report], r.GetValue(json));
            return report.Problems.Count > 0 ? 1 : 0;
        }, json);
    }

    /// <summary>Exit status 1 when the area has problems or the file holds a half-done migration copy.</summary>
    private static Command Check()
    {
        var json = SharedOptions.Json();
        return LabelCommand("check", "report problems of labels and info blocks (exit status 1 if any), change nothing", (file, r) =>
        {
            var report = Inspect(file);
            if (r.GetValue(json))
                LabelReport.Write([report], json: true);
            else if (report.Problems.Count == 0)
                Console.Out.WriteLine(ToolMessages.LabelAreaSound(file.Path, report));
            else
                report.Print(AnsiConsole.Console);
            // Consistent labels in a half-copied file are no comfort: the mark says the rest may be old.
            if (IncompleteCopyMark.Read(file.Path) is string why)
            {
                Console.Error.WriteLine(ToolMessages.IncompleteCopy(file.Path, why));
                return 1;
            }
            return report.Problems.Count == 0 ? 0 : 1;
        }, json);
    }

    /// <summary>
    /// The file's label area (none with --label-size 0) and the namespaces a guest would find in the file's region, each
    /// as its info block makes it; labels are taken whatever slot they were made for (the file does not say).
    /// </summary>
    private static LabelReport Inspect(OfflineLabelFile file)
    {
        LabelAreaState? state = null;
        if (file.LabelSize > 0)
            using (var storage = file.OpenLabels(writable: false))
                state = new LabelStore(storage).Load();
        var region = file.Region();
        using var media = file.OpenRegion(region, writable: false);
        var problems = new List<string>();
        if (file.LabelSize == 0 && file.LabelSetInTail() is { } set)
            problems.Add($"the file's last {set.Size} bytes hold a label set ({set.State.Labels.Count} namespace(s)): " +
                $"with label-size=0 the guest sees them as data; this NVDIMM's label-size is {set.Size}");
        // Without a valid index Linux does not use the labels at all: the region is label-less.
        var (namespaces, _) = NdctlListing.Namespaces(region, state is { Initialized: true } ? state : null, media, problems, checkCookie: false);
        return LabelReport.From(file.Path, state, namespaces, problems);
    }

    /// <summary>
    /// The label-less variant of create-namespace: an info block at the start of the namespace Linux makes of a whole
    /// region when the DIMM has no labels (label-size=0, or a label area never initialised). Anything that may be in use
    /// there (a label set in the file's tail, any info block, whoever it belongs to) is replaced only with --force.
    /// </summary>
    private static Command Format()
    {
        var path = new Argument<string>("file") { Description = "the backend's mem-path (an NVDIMM with label-size=0)" };
        var labelSize = new Option<string>("--label-size")
        {
            Description = "the NVDIMM's label-size: 0 (default), or that of a label area never initialised",
            DefaultValueFactory = _ => "0",
        };
        var layout = new NamespaceLayoutOptions(NamespaceMode.Fsdax, NamespaceMode.Fsdax, NamespaceMode.Devdax);
        var uuid = new Option<Guid?>("--uuid") { Description = "the info block's uuid (default: a new one)", CustomParser = OptionParsers.Uuid };
        var force = new Option<bool>("--force") { Description = "replace what the namespace or the file's tail holds already" };
        var command = new Command("format", "make a label-less NVDIMM's namespace fsdax or devdax: an info block at its start")
        {
            path, labelSize, layout.All[0], layout.All[1], layout.All[2], uuid, force,
        };
        command.SetAction(r =>
        {
            var wanted = layout.Read(r);
            var file = new OfflineLabelFile(ExistingBackingFile(r.GetValue(path)!), LabelSize(r.GetValue(labelSize)!));
            if (file.IsReadOnly())
                throw new ToolException($"{file.Path}: read-only (no write permission), ineligible for namespace creation");
            var region = file.Region();
            var extent = NamespaceExtent.LabelLess(region.Spa.Length, region.Spa.Base);
            var format = NamespaceFormatter.Prepare(extent, wanted, r.GetValue(uuid) ?? Guid.NewGuid(), wholeRegion: true);
            if (file.LabelSize > 0)
                using (var storage = file.OpenLabels(writable: false))
                    if (new LabelStore(storage).Load().Initialized)
                        throw new ToolException($"{file.Path}: its label area holds an initialised label set: Linux uses its labels, " +
                            "not a label-less namespace (use label create-namespace)");
            if (!r.GetValue(force) && InUse(file, region) is string what)
                throw new ToolException($"{file.Path}: {what}: --force replaces it");
            using var media = file.OpenRegion(region, writable: true);
            Console.Out.WriteLine(ToolMessages.LabelLessFormatted(file.Path, format.WriteTo(media)));
            return 0;
        });
        return command;
    }

    /// <summary>What the file holds that a label-less format would destroy, or null.</summary>
    private static string? InUse(OfflineLabelFile file, GuestRegion region)
    {
        if (file.LabelSize == 0 && file.LabelSetInTail() is { } set)
            return $"its last {set.Size} bytes hold a label set ({set.State.Labels.Count} namespace(s)): " +
                $"it is an NVDIMM with label-size={set.Size}, whose labels and namespaces this would destroy";
        using var media = file.OpenRegion(region, writable: false);
        return NamespaceProbe.InfoBlockAt(media, 0, region.Spa.Length) is string block ? $"it starts with {block}" : null;
    }

    private static Command Init()
    {
        var format = new LabelFormatOptions();
        return LabelCommand("init", "write an empty label set", (file, r) =>
        {
            using var storage = file.OpenLabels(writable: true);
            var version = format.Version(r);
            Console.Out.WriteLine(ToolMessages.LabelsInitialised(file.Path, version, new LabelStore(storage).Initialize(version, format.Force(r))));
            return 0;
        }, format.All);
    }

    private static Command CreateNamespace()
    {
        var request = new NamespaceRequestOptions();
        var slot = new Option<int>("--slot")
        {
            Description = "the memory slot the NVDIMM is plugged into (its NFIT identity)",
            DefaultValueFactory = _ => 0,
        };
        var backendAlign = new Option<string>("--backend-align")
        {
            Description = "the backend's align= (default: the page size)",
            DefaultValueFactory = _ => "4K",
        };
        var layout = new NamespaceLayoutOptions(NamespaceMode.Raw, NamespaceMode.Raw, NamespaceMode.Fsdax, NamespaceMode.Devdax,
            NamespaceMode.Sector);
        return LabelCommand("create-namespace", "add a pmem namespace label (and the info block of its mode)", (file, r) =>
        {
            var wanted = layout.Read(r);
            // A read-only file makes a read-only region, which creation refuses: opened without write access then, so
            // that the refusal is what the user reads (and root, who could open it for writing, writes nothing).
            bool writable = !file.IsReadOnly();
            using var storage = file.OpenLabels(writable);
            var region = file.Region(r.GetValue(slot), OptionParsers.Size(r.GetValue(backendAlign)!));
            using var media = file.OpenRegion(region, writable);
            var target = file.InSlot(region, storage, media);
            var (label, content) = target.Create(request.Read(r), wanted);
            Console.Out.WriteLine(ToolMessages.NamespaceCreated(target.Name, label, content));
            return 0;
        }, [.. request.All, slot, backendAlign, .. layout.All]);
    }

    private static Command DestroyNamespace()
    {
        var uuid = SharedOptions.NamespaceUuid();
        return LabelCommand("destroy-namespace", "remove a namespace's labels", (file, r) =>
        {
            using var storage = file.OpenLabels(writable: true);
            var region = file.Region();
            using var media = file.OpenRegion(region, writable: true);
            int removed = file.InSlot(region, storage, media).Destroy(r.GetValue(uuid));
            Console.Out.WriteLine(ToolMessages.NamespaceDestroyed(file.Path, r.GetValue(uuid), removed));
            return 0;
        }, uuid);
    }

    private static ulong LabelSize(string text)
    {
        ulong size = OptionParsers.Size(text);
        // The DSM's Get Namespace Label Size answers in 32 bits: no machine has a larger label area.
        if (size > uint.MaxValue)
            throw new ToolException($"--label-size 0x{size:x}: a label area is at most 0x{uint.MaxValue:x} bytes");
        // Nor a smaller one than QEMU's minimum (0 is an NVDIMM without one).
        if (size != 0 && size < NvdimmLimits.MinLabelSize)
            throw new ToolException($"--label-size 0x{size:x}: Property 'nvdimm.label-size' is required at least 0x{NvdimmLimits.MinLabelSize:x}");
        return size;
    }

    private static string ExistingBackingFile(string file)
    {
        if (Directory.Exists(file))
            throw new ToolException($"{file}: is a directory, not a backing file");
        if (!File.Exists(file))
            throw new ToolException($"{file}: no such file");
        // Never opened: a FIFO would block the tool, a device is no backing file.
        if (!HostPaths.IsRegularFile(file))
            throw new ToolException($"{file}: not a regular file (a label area lives in a backing file)");
        return file;
    }

    /// <summary>A command on the backing file its argument names (which must exist), with the label-size it is given.</summary>
    private static Command LabelCommand(string name, string description, Func<OfflineLabelFile, ParseResult, int> action, params Option[] options)
    {
        var path = new Argument<string>("file") { Description = "the backend's mem-path" };
        var labelSize = new Option<string>("--label-size")
        {
            Description = "the NVDIMM's label-size (its area is the file's last label-size bytes)",
            Required = true,
        };
        var command = new Command(name, description) { path, labelSize };
        foreach (var option in options)
            command.Options.Add(option);
        command.SetAction(r =>
        {
            string file = ExistingBackingFile(r.GetValue(path)!);
            return action(new OfflineLabelFile(file, LabelSize(r.GetValue(labelSize)!)), r);
        });
        return command;
    }
}
