using Vnvdimm.Guest.Labels;

namespace Vnvdimm.Cli.Tools.Rendering;

/// <summary>The one-line results of the label-changing commands, the same words whether a guest or a file was changed.</summary>
/// <remarks><c>subject</c> is what was changed: nmemN or regionN in a guest, the backing file offline.</remarks>
public static class ToolMessages
{
    public static string LabelsInitialised(string subject, LabelVersion version, LabelAreaState state) =>
        $"{subject}: labels v{VersionName(version)} initialised, {state.FreeSlots} slots";

    public static string NamespaceCreated(string subject, NamespaceLabel label) =>
        $"{subject}: namespace {label.Uuid} created, {label.RawSize} bytes at DPA 0x{label.Dpa:x} (slot {label.Slot})";

    /// <param name="subject">Null in a guest, where the namespace's labels may be on several DIMMs.</param>
    public static string NamespaceDestroyed(string? subject, Guid uuid, int labels) =>
        (subject is null ? "" : $"{subject}: ") + $"namespace {uuid} destroyed ({labels} label(s))";

    /// <summary>What <c>label check</c> says of an area without problems.</summary>
    public static string LabelAreaSound(string file, LabelAreaState state) =>
        state.Initialized ? $"{file}: label area consistent, {state.Labels.Count} label(s)" : $"{file}: label area not initialised";

    public static string IncompleteCopy(string file, string why) => $"{file}: holds an incomplete migration copy ({why})";

    private static string VersionName(LabelVersion version) => version == LabelVersion.V1_1 ? "1.1" : "1.2";
}
