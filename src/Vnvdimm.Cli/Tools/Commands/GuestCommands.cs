using System.CommandLine;
using Vnvdimm.Cli.Tools.Rendering;
using Vnvdimm.Cli.Tools.Targets;
using Vnvdimm.Guest;
using Vnvdimm.Guest.Namespaces;
using Vnvdimm.Guest.Ndctl;

namespace Vnvdimm.Cli.Tools.Commands;

/// <summary><c>vnvdimm guest ...</c>: the guest toolkit against a machine, over qtest.</summary>
internal static class GuestCommands
{
    public static Command Create()
    {
        var guest = new Command("guest", "the guest's view of a machine (QEMU or vnvdimm) over qtest");
        foreach (var command in new[] { List(), ReadLabels(), InitLabels(), CreateNamespace(), DestroyNamespace() })
            guest.Subcommands.Add(command);
        return guest;
    }

    /// <summary>Exit status 1 when the guest found label problems.</summary>
    private static Command List()
    {
        var json = SharedOptions.Json();
        return GuestCommand("list", "DIMMs, regions and namespaces, as ndctl list -DRN", (guest, r) =>
        {
            var listing = NdctlListing.From(guest);
            NdctlListingPrinter.Write(listing, r.GetValue(json));
            return listing.LabelProblems is null ? 0 : 1;
        }, json);
    }

    /// <summary>Exit status 1 when a label area has problems.</summary>
    private static Command ReadLabels()
    {
        var dimm = new Option<string?>("--dimm") { Description = "nmemN (default: every DIMM with a label area)" };
        var json = SharedOptions.Json();
        return GuestCommand("read-labels", "the label areas through the DSM", (guest, r) =>
        {
            var reports = GuestLabelAreas.Select(guest, r.GetValue(dimm))
                .Select(x => LabelReport.From($"{x.Dimm.Device} (handle 0x{x.Dimm.Handle:x})", x.Store.Load())).ToList();
            LabelReport.Write(reports, r.GetValue(json));
            return reports.Any(report => report.Problems.Count > 0) ? 1 : 0;
        }, dimm, json);
    }

    private static Command InitLabels()
    {
        var dimm = new Option<string?>("--dimm") { Description = "nmemN (may be left out when one DIMM has a label area)" };
        var format = new LabelFormatOptions();
        return GuestCommand("init-labels", "write an empty label set (two index blocks)", (guest, r) =>
        {
            var (chosen, store) = GuestLabelAreas.One(guest, r.GetValue(dimm));
            var version = format.Version(r);
            Console.Out.WriteLine(ToolMessages.LabelsInitialised(chosen.Device, version, store.Initialize(version, format.Force(r))));
            return 0;
        }, [dimm, .. format.All]);
    }

    private static Command CreateNamespace()
    {
        var region = new Option<string>("--region") { Description = "regionN", DefaultValueFactory = _ => "region0" };
        var request = new NamespaceRequestOptions();
        var layout = new NamespaceLayoutOptions(NamespaceMode.Raw, NamespaceMode.Raw, NamespaceMode.Fsdax, NamespaceMode.Devdax,
            NamespaceMode.Sector);
        return GuestCommand("create-namespace", "add a pmem namespace label (and the info block of its mode)", (guest, r) =>
        {
            var wanted = layout.Read(r);
            var target = GuestLabelAreas.Region(guest, r.GetValue(region)!);
            var (label, content) = target.Create(request.Read(r), wanted);
            Console.Out.WriteLine(ToolMessages.NamespaceCreated(target.Name, label, content));
            return 0;
        }, [region, .. request.All, .. layout.All]);
    }

    private static Command DestroyNamespace()
    {
        var uuid = SharedOptions.NamespaceUuid();
        return GuestCommand("destroy-namespace", "remove a namespace's labels", (guest, r) =>
        {
            var id = r.GetValue(uuid);
            var holding = GuestLabelAreas.RegionsHolding(guest, id);
            if (holding.Count == 0)
                throw new ToolException($"no namespace with uuid {id}");
            int removed = 0;
            foreach (var region in holding)
                removed += region.Destroy(id);
            Console.Out.WriteLine(ToolMessages.NamespaceDestroyed(null, id, removed));
            return 0;
        }, uuid);
    }

    /// <summary>A command that boots the guest's view of the machine its options name, then runs <paramref name="action"/>.</summary>
    private static Command GuestCommand(string name, string description, Func<NvdimmGuest, ParseResult, int> action, params Option[] options)
    {
        var machine = new MachineOptions();
        var command = new Command(name, description);
        machine.AddTo(command);
        foreach (var option in options)
            command.Options.Add(option);
        command.SetAction(r =>
        {
            using var connection = machine.Connect(r);
            return action(NvdimmGuest.Boot(connection), r);
        });
        return command;
    }
}
