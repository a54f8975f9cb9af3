using System.Text.Json;
using Spectre.Console;
using Vnvdimm.HostMemory;

namespace Vnvdimm.Cli.Tools.Rendering;

/// <summary>What <c>check</c> prints: per backend the verdict, each finding, and what to change where one fails.</summary>
public static class PersistenceVerdictPrinter
{
    public static void Write(IReadOnlyList<PersistenceVerdict> verdicts, bool json)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(verdicts, ToolJsonContext.Default.IReadOnlyListPersistenceVerdict));
            return;
        }
        foreach (var v in verdicts)
        {
            AnsiConsole.MarkupLine(v.Guaranteed
                ? $"[green]{Markup.Escape(v.BackendId)}: guest write persistence is guaranteed[/]"
                : $"[red]{Markup.Escape(v.BackendId)}: guest write persistence is NOT guaranteed[/]");
            foreach (var f in v.Findings)
            {
                AnsiConsole.MarkupLine($"  {(f.Holds ? "[green]yes[/]" : "[red]no[/] ")} {Markup.Escape(f.Check)}: {Markup.Escape(f.Detail)}");
                if (f.Remedy is string remedy)
                    AnsiConsole.MarkupLine($"       [yellow]fix:[/] {Markup.Escape(remedy)}");
            }
        }
    }
}
