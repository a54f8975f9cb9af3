using System.CommandLine;
using Spectre.Console;
using Vnvdimm.Cli.Tools.Rendering;
using Vnvdimm.Cli.Tools.Targets;
using Vnvdimm.Guest.Labels;
using Vnvdimm.HostMemory;

namespace Vnvdimm.Cli.Tools.Commands;

/// <summary><c>vnvdimm label ...</c>: the guest toolkit's label code on a backing file's label area, offline.</summary>
internal static class LabelCommands
{
    public static Command Create()
    {
        var label = new Command("label", "the label area of a backing file, offline (the machine must not be running)");
        foreach (var command in new[] { Dump(), Check(), Init(), CreateNamespace(), DestroyNamespace() })
            label.Subcommands.Add(command);
        return label;
    }

    /// <summary>Exit status 1 when the area has problems.</summary>
    private static Command Dump()
    {
        var json = SharedOptions.Json();
        return LabelCommand("dump", "print the index and labels", (file, r) =>
        {
            using var storage = file.OpenLabels(writable: false);
            var report = LabelReport.From(file.Path, new LabelStore(storage).Load());
            LabelReport.Write([report], r.GetValue(json));
            return report.Problems.Count > 0 ? 1 : 0;
        }, json);
    }

    /// <summary>Exit status 1 when the area has problems or the file holds a half-done migration copy.</summary>
    private static Command Check()
    {
        var json = SharedOptions.Json();
        return LabelCommand("check", "report problems (exit status 1 if any), change nothing", (file, r) =>
        {
            LabelAreaState state;
            using (var storage = file.OpenLabels(writable: false))
                state = new LabelStore(storage).Load();
            var report = LabelReport.From(file.Path, state);
            if (r.GetValue(json))
                LabelReport.Write([report], json: true);
            else if (state.Problems.Count == 0)
                Console.Out.WriteLine(ToolMessages.LabelAreaSound(file.Path, state));
            else
                report.Print(AnsiConsole.Console);
            // Consistent labels in a half-copied file are no comfort: the mark says the rest may be old.
            if (IncompleteCopyMark.Read(file.Path) is string why)
            {
                Console.Error.WriteLine(ToolMessages.IncompleteCopy(file.Path, why));
                return 1;
            }
            return state.Problems.Count == 0 ? 0 : 1;
        }, json);
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
        var align = new Option<string>("--align") { Description = "the backend's align (default: the page size)", DefaultValueFactory = _ => "4K" };
        return LabelCommand("create-namespace", "add a pmem namespace label", (file, r) =>
        {
            // A read-only file makes a read-only region, which creation refuses: opened without write access then, so
            // that the refusal is what the user reads (and root, who could open it for writing, writes nothing).
            using var storage = file.OpenLabels(writable: !file.IsReadOnly());
            var target = file.InSlot(r.GetValue(slot), OptionParsers.Size(r.GetValue(align)!), storage);
            Console.Out.WriteLine(ToolMessages.NamespaceCreated(target.Name, target.Create(request.Read(r))));
            return 0;
        }, [.. request.All, slot, align]);
    }

    private static Command DestroyNamespace()
    {
        var uuid = SharedOptions.NamespaceUuid();
        return LabelCommand("destroy-namespace", "remove a namespace's labels", (file, r) =>
        {
            using var storage = file.OpenLabels(writable: true);
            int removed = new LabelStore(storage).Destroy(r.GetValue(uuid));
            Console.Out.WriteLine(ToolMessages.NamespaceDestroyed(file.Path, r.GetValue(uuid), removed));
            return 0;
        }, uuid);
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
            string file = r.GetValue(path)!;
            if (Directory.Exists(file))
                throw new ToolException($"{file}: is a directory, not a backing file");
            if (!File.Exists(file))
                throw new ToolException($"{file}: no such file");
            // Never opened: a FIFO would block the tool, a device is no backing file.
            if (!HostPaths.IsRegularFile(file))
                throw new ToolException($"{file}: not a regular file (a label area lives in a backing file)");
            ulong size = OptionParsers.Size(r.GetValue(labelSize)!);
            // The DSM's Get Namespace Label Size answers in 32 bits: no machine has a larger label area.
            if (size > uint.MaxValue)
                throw new ToolException($"--label-size 0x{size:x}: a label area is at most 0x{uint.MaxValue:x} bytes");
            return action(new OfflineLabelFile(file, size), r);
        });
        return command;
    }
}
