using System.Text.Json;
using Spectre.Console;
using Vnvdimm.Guest.Ndctl;

namespace Vnvdimm.Cli.Tools.Rendering;

/// <summary>What <c>guest list</c> prints: ndctl's JSON for programs, or one line per DIMM, region and namespace.</summary>
public static class NdctlListingPrinter
{
    public static void Write(NdctlListing listing, bool json)
    {
        if (json)
            Console.Out.WriteLine(JsonSerializer.Serialize(listing, NdctlJsonContext.Default.NdctlListing));
        else
            Print(listing, AnsiConsole.Console);
    }

    private static void Print(NdctlListing listing, IAnsiConsole console)
    {
        if (listing.Dimms.Count == 0)
            console.MarkupLine("[yellow]The guest sees no NVDIMM.[/]");
        foreach (var d in listing.Dimms)
            console.MarkupLine($"[bold]{d.Dev}[/]  id {d.Id}  handle 0x{d.Handle:x}  phys_id {d.PhysId}");
        foreach (var r in listing.Regions)
        {
            console.MarkupLine($"[bold]{r.Dev}[/]  {ByteSize.Human(r.Size)}  available {ByteSize.Human(r.AvailableSize)}  " +
                $"persistence {r.PersistenceDomain}" + (r.IsetId is long iset ? $"  iset_id 0x{iset:x16}" : "")
                + (r.ReadOnly == true ? "  [yellow]read-only[/]" : ""));
            foreach (var n in r.Namespaces ?? [])
                console.MarkupLine($"  {n.Dev}  {n.Mode}" + (n.Map is null ? "" : $"  map {n.Map}") + $"  {ByteSize.Human(n.Size)}" +
                    (n.Align is ulong align ? $"  align {ByteSize.Human(align)}" : "") + $"  /dev/{n.Blockdev ?? n.Chardev}" +
                    (n.Uuid is null ? "" : $"  uuid {n.Uuid}") +
                    (n.Name is null ? "" : $"  name \"{Markup.Escape(n.Name)}\""));
        }
        foreach (string problem in listing.LabelProblems ?? [])
            console.MarkupLine($"[red]problem:[/] {Markup.Escape(problem)}");
    }
}
