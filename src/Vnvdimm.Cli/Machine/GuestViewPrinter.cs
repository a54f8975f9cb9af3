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
        string[] columns = ["dimm", "handle", "address", "size", "labels", "armed", "persistence", "iset_id"];
        var rows = topology.Regions.Select(region =>
        {
            var dimm = region.Mappings[0].Dimm;
            var (status, size, _) = booted.Dsm?.LabelSize(dimm.Handle) ?? (1u, 0u, 0u);
            return new[]
            {
                dimm.Device, $"0x{dimm.Handle:x}", $"0x{region.Spa.Base:x}", Tools.Rendering.ByteSize.Human(region.Spa.Length),
                status == 0 ? Tools.Rendering.ByteSize.Human(size) : "none", dimm.NotArmed ? "no (read-only)" : "yes",
                region.PersistenceDomain, $"0x{region.Cookie2:x16}",
            };
        }).ToList();

        const string title = "NVDIMMs as the guest sees them (firmware loader, NFIT, DSM)";
        var table = new Table().Title(title).AddColumns(columns);
        foreach (var column in table.Columns)
            column.NoWrap();
        foreach (var row in rows)
            table.AddRow(row);
        if (((Spectre.Console.Rendering.IRenderable)table).Measure(
                new Spectre.Console.Rendering.RenderOptions(console.Profile.Capabilities, new Size(int.MaxValue, 1)), int.MaxValue).Max
            <= console.Profile.Width)
        {
            console.Write(table);
        }
        else
        {
            // Too narrow for one row per NVDIMM (80 columns): one block of "name value" lines each, no word broken.
            console.MarkupLine($"[grey]{title}[/]");
            foreach (var row in rows)
            {
                var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadLeft(2).PadRight(2)).AddColumn(new GridColumn().NoWrap());
                for (int i = 1; i < columns.Length; i++)
                    grid.AddRow(columns[i], Markup.Escape(row[i]));
                console.MarkupLine($"[bold]{Markup.Escape(row[0])}[/]");
                console.Write(grid);
            }
        }
        console.MarkupLine("[grey]./vnvdimm guest list|read-labels|create-namespace ... -- OPTIONS manages namespaces; see the README.[/]");
    }
}
