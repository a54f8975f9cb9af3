using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Vnvdimm.Guest.Labels;

namespace Vnvdimm.Cli.Tools.Rendering;

public sealed record LabelEntry(
    [property: JsonPropertyName("slot")] uint Slot,
    [property: JsonPropertyName("uuid")] string Uuid,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("dpa")] ulong Dpa,
    [property: JsonPropertyName("size")] ulong Size,
    [property: JsonPropertyName("isetcookie")] ulong IsetCookie,
    [property: JsonPropertyName("flags")] uint Flags);

/// <summary>What read-labels and label dump print for one label area.</summary>
public sealed record LabelReport(
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("label_area_size")] uint AreaSize,
    [property: JsonPropertyName("initialized")] bool Initialized,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("current_index")] int? CurrentIndex,
    [property: JsonPropertyName("sequence")] uint? Sequence,
    [property: JsonPropertyName("slots")] uint? Slots,
    [property: JsonPropertyName("free_slots")] uint? FreeSlots,
    [property: JsonPropertyName("labels")] IReadOnlyList<LabelEntry> Labels,
    [property: JsonPropertyName("problems")] IReadOnlyList<string> Problems)
{
    public static LabelReport From(string source, LabelAreaState state) => new(
        source, state.AreaSize, state.Initialized,
        state.Version switch { LabelVersion.V1_1 => "1.1", LabelVersion.V1_2 => "1.2", _ => null },
        state.Initialized ? state.CurrentBlock : null, state.Current?.Sequence, state.Current?.SlotCount,
        state.Initialized ? state.FreeSlots : null,
        [.. state.Labels.Select(l => new LabelEntry(l.Slot, l.Uuid.ToString("D"), l.Name, l.Dpa, l.RawSize, l.InterleaveSetCookie, l.Flags))],
        state.Problems);

    public void Print(IAnsiConsole console)
    {
        console.MarkupLine($"[bold]{Markup.Escape(Source)}[/]: {AreaSize} bytes, " + (Initialized
            ? $"labels v{Version}, index block {CurrentIndex} current (sequence {Sequence}), {FreeSlots} of {Slots} slots free"
            : "[yellow]no valid label index[/]"));
        foreach (var l in Labels)
            console.MarkupLine($"  slot {l.Slot}  uuid {l.Uuid}  dpa 0x{l.Dpa:x}  {ByteSize.Human(l.Size)}  isetcookie 0x{l.IsetCookie:x16}" +
                (l.Flags != 0 ? $"  flags 0x{l.Flags:x}" : "") + (l.Name.Length > 0 ? $"  name \"{Markup.Escape(l.Name)}\"" : ""));
        foreach (string problem in Problems)
            console.MarkupLine($"[red]problem:[/] {Markup.Escape(problem)}");
    }

    /// <summary>Several reports as one JSON array for programs, or one after another as text.</summary>
    public static void Write(IReadOnlyList<LabelReport> reports, bool json)
    {
        if (json)
            Console.Out.WriteLine(JsonSerializer.Serialize(reports, ToolJsonContext.Default.IReadOnlyListLabelReport));
        else
            foreach (var report in reports)
                report.Print(AnsiConsole.Console);
    }
}
