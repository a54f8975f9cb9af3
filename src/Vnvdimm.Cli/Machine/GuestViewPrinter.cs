using Spectre.Console;
using Vnvdimm.Guest;
using Vnvdimm.Guest.Transport;

namespace Vnvdimm.Cli.Machine;

/// <summary>
/// Shows the NVDIMMs as a guest finds them: fw_cfg, then the ACPI tables, then the NFIT, and the
/// label area through DSM function 4, so what is printed is what a guest driver would build on.
/// </summary>
public static class GuestViewPrinter
{
    public static void Print(IGuestConnection guest, IAnsiConsole console)
    {
        var booted = NvdimmGuest.Boot(guest);
        if (booted.Topology is not { Dimms.Count: > 0 } topology)
        {
            console.MarkupLine("[yellow]The guest sees no NFIT: no NVDIMM is plugged.[/]");
            return;
        }
        var table = new Table().Title("NVDIMMs as the guest sees them (firmware loader, NFIT, DSM)")
            .AddColumns("dimm", "handle", "address", "size", "labels", "armed", "persistence", "iset_id");
        foreach (var column in table.Columns)
            column.NoWrap();
        foreach (var region in topology.Regions)
        {
            var dimm = region.Mappings[0].Dimm;
            var (status, size, _) = booted.Dsm?.LabelSize(dimm.Handle) ?? (1u, 0u, 0u);
            table.AddRow(dimm.Device, $"0x{dimm.Handle:x}", $"0x{region.Spa.Base:x}", Tools.ToolCommands.Human(region.Spa.Length),
                status == 0 ? Tools.ToolCommands.Human(size) : "none", dimm.NotArmed ? "no (read-only)" : "yes",
                region.PersistenceDomain, $"0x{region.Cookie2:x16}");
        }
        console.Write(table);
        console.MarkupLine("[grey]./vnvdimm guest list|read-labels|create-namespace ... -- OPTIONS manages namespaces; see the README.[/]");
    }
}
