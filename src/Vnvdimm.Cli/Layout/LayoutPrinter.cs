using Spectre.Console;
using Vnvdimm.Cli.Tools.Rendering;

namespace Vnvdimm.Cli.Layout;

/// <summary>The layout for people: one block per NVDIMM, warnings in red under the device they concern.</summary>
public static class LayoutPrinter
{
    public static void Print(LayoutReport report, IAnsiConsole console)
    {
        console.MarkupLine($"[bold]{Markup.Escape(report.Machine)}[/]" +
            (report.DeviceMemoryBase is ulong b ? $": memory devices from 0x{b:x}" : ": no memory-device space"));
        if (report.Nvdimms.Count == 0)
            console.MarkupLine("[yellow]No NVDIMM on this command line.[/]");
        foreach (var n in report.Nvdimms)
        {
            console.WriteLine();
            console.MarkupLine($"[bold]{Markup.Escape(n.Id ?? "(no id)")}[/]  slot {n.Slot}  NFIT handle 0x{n.NfitHandle:x}  " +
                $"{n.Dev}/{n.Region}  node {n.Node}" + (n.ReadOnly ? "  [yellow]read-only[/]" : ""));
            console.MarkupLine($"  guest   0x{n.Address:x}-0x{n.Address + n.PmemSize - 1:x}  PMEM {Size(n.PmemSize)}");
            string file = n.MemPath is null
                ? $"RAM ({Markup.Escape(n.Memdev)})"
                : Markup.Escape(n.MemPath) + (n.FileSize is ulong f ? $" ({Size(f)} now)" : " (created at start)");
            console.MarkupLine($"  backend {file}, size {Size(n.BackendSize)}");
            console.MarkupLine(n.LabelSize == 0
                ? "  labels  none (label-size=0): the guest gets a label-less namespace over the whole PMEM"
                : $"  labels  {(n.MemPath is null ? "backend" : "file")} bytes 0x{n.LabelOffset:x}-0x{n.LabelOffset + n.LabelSize:x} " +
                    $"({Size(n.LabelSize)}): {Content(n)}");
            console.MarkupLine($"  align   {Size(n.Alignment)}, " +
                (n.AlignmentLoss == 0 ? "nothing lost" : $"{Size(n.AlignmentLoss)} between PMEM and label area unused"));
            foreach (var ns in n.Namespaces)
                console.MarkupLine($"    namespace {ns.Uuid}  DPA 0x{ns.Dpa:x}  {ByteSize.Human(ns.Size)}" +
                    (ns.Name.Length > 0 ? $"  \"{Markup.Escape(ns.Name)}\"" : ""));
            foreach (var w in n.Warnings)
                console.MarkupLine($"  [red]warning:[/] {Markup.Escape(w.Message)}");
        }
        foreach (var w in report.Warnings)
            console.MarkupLine($"[red]warning:[/] {Markup.Escape(w.Message)}");
        foreach (string note in report.Notes)
            console.MarkupLine($"note: {Markup.Escape(note)}");
        if (report.Skipped.Count > 0)
            console.MarkupLine($"[grey]skipped (no effect on NVDIMM layout): {Markup.Escape(string.Join(" ", report.Skipped))}[/]");
    }

    private static string Content(NvdimmLayout n) => n.LabelArea switch
    {
        LabelAreaContent.Labels => $"labels v{n.LabelVersion}, {n.Namespaces.Count} namespace(s)",
        LabelAreaContent.Data => "[red]data, not labels[/]",
        _ => "empty",
    };

    private static string Size(ulong bytes) => $"{ByteSize.Human(bytes)} (0x{bytes:x})";
}
