using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Ndctl;

namespace Vnvdimm.Cli.Tools.Rendering;

public sealed record LabelEntry(
    [property: JsonPropertyName("slot")] uint Slot,
    [property: JsonPropertyName("uuid")] string Uuid,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("dpa")] ulong Dpa,
    [property: JsonPropertyName("size")] ulong Size,
    [property: JsonPropertyName("isetcookie")] ulong IsetCookie,
    [property: JsonPropertyName("flags")] uint Flags,
    [property: JsonPropertyName("abstraction_guid")] string? AbstractionGuid);

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
    [property: JsonPropertyName("namespaces")] IReadOnlyList<NdctlNamespace>? Namespaces,
    [property: JsonPropertyName("problems")] IReadOnlyList<string> Problems)
{
    /// <param name="state">Null for an NVDIMM without a label area.</param>
    /// <param name="namespaces">As ndctl list -N would show them (null where the report is of the label area alone).</param>
    /// <param name="namespaceProblems">Info blocks Linux would not take.</param>
    public static LabelReport From(string source, LabelAreaState? state, IReadOnlyList<NdctlNamespace>? namespaces = null,
        IReadOnlyList<string>? namespaceProblems = null) => new(
        source, state?.AreaSize ?? 0, state?.Initialized ?? false,
        state?.Version switch { LabelVersion.V1_1 => "1.1", LabelVersion.V1_2 => "1.2", _ => null },
        state is { Initialized: true } ? state.CurrentBlock : null, state?.Current?.Sequence, state?.Current?.SlotCount,
        state is { Initialized: true } ? state.FreeSlots : null,
        [.. (state?.Labels ?? []).Select(l => new LabelEntry(l.Slot, l.Uuid.ToString("D"), l.Name, l.Dpa, l.RawSize, l.InterleaveSetCookie,
            l.Flags, l.AbstractionGuid == Guid.Empty ? null : l.AbstractionGuid.ToString("D")))],
        namespaces, [.. state?.Problems ?? [], .. namespaceProblems ?? []]);

    public void Print(IAnsiConsole console)
    {
        string area = AreaSize == 0 ? "no label area (label-size 0)" : $"{AreaSize} bytes, " + (Initialized
            ? $"labels v{Version}, index block {CurrentIndex} current (sequence {Sequence}), {FreeSlots} of {Slots} slots free"
            : "[yellow]no valid label index[/]");
        console.MarkupLine($"[bold]{Markup.Escape(Source)}[/]: {area}");
        foreach (var l in Labels)
            console.MarkupLine($"  slot {l.Slot}  uuid {l.Uuid}  dpa 0x{l.Dpa:x}  {ByteSize.Human(l.Size)}  isetcookie 0x{l.IsetCookie:x16}" +
                (l.Flags != 0 ? $"  flags 0x{l.Flags:x}" : "") + (l.Name.Length > 0 ? $"  name \"{Markup.Escape(l.Name)}\"" : ""));
        foreach (var n in Namespaces ?? [])
            console.MarkupLine($"  {n.Dev}  {n.Mode}" + (n.Map is null ? "" : $"  map {n.Map}") + $"  {n.Size} bytes"
                + (n.Align is ulong align ? $"  align {align}" : "") + (n.SectorSize is uint sector ? $"  sector size {sector}" : "")
                + $"  {n.Blockdev ?? n.Chardev}" + (n.Uuid is null ? "" : $"  uuid {n.Uuid}"));
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
