using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Namespaces;
using Vnvdimm.Guest.Namespaces.Pfn;

namespace Vnvdimm.Cli.Tools.Rendering;

/// <summary>The one-line results of the label-changing commands, the same words whether a guest or a file was changed.</summary>
/// <remarks><c>subject</c> is what was changed: nmemN or regionN in a guest, the backing file offline.</remarks>
public static class ToolMessages
{
    public static string LabelsInitialised(string subject, LabelVersion version, LabelAreaState state) =>
        $"{subject}: labels v{VersionName(version)} initialised, {state.FreeSlots} slots";

    public static string NamespaceCreated(string subject, NamespaceLabel label, NamespaceContent content) =>
        $"{subject}: namespace {label.Uuid} created, {label.RawSize} bytes at DPA 0x{label.Dpa:x} (slot {label.Slot})"
        + (content.Mode == NamespaceMode.Raw ? "" : $", {Layout(content)}");

    /// <summary>What a label-less namespace became.</summary>
    public static string LabelLessFormatted(string file, NamespaceContent content) =>
        $"{file}: label-less namespace formatted, {Layout(content)}";

    /// <summary>The mode and what the guest gets of it, in ndctl's words.</summary>
    private static string Layout(NamespaceContent content) =>
        NamespaceModes.Name(content.Mode)
        + (content.Map is PfnMap map ? $" (map {NamespaceModes.Name(map)}, align {PfnLayout.Describe(content.Align!.Value)})" : "")
        + (content.Mode == NamespaceMode.Sector ? $" (sector size {content.SectorSize})" : "")
        + $": {content.Size} bytes for the guest, info block uuid {content.Uuid}";

    /// <param name="subject">Null in a guest, where the namespace's labels may be on several DIMMs.</param>
    public static string NamespaceDestroyed(string? subject, Guid uuid, int labels) =>
        (subject is null ? "" : $"{subject}: ") + $"namespace {uuid} destroyed ({labels} label(s))";

    /// <summary>What <c>label check</c> says of an area without problems.</summary>
    public static string LabelAreaSound(string file, LabelReport report) =>
        (report.AreaSize == 0 ? $"{file}: no label area" : report.Initialized ? $"{file}: label area consistent, {report.Labels.Count} label(s)"
            : $"{file}: label area not initialised")
        + (report.Namespaces is { Count: > 0 } namespaces
            ? $"; namespaces: {string.Join(", ", namespaces.Select(n => $"{n.Dev} {n.Mode}"))}" : "");

    public static string IncompleteCopy(string file, string why) => $"{file}: holds an incomplete migration copy ({why})";

    private static string VersionName(LabelVersion version) => version == LabelVersion.V1_1 ? "1.1" : "1.2";
}
