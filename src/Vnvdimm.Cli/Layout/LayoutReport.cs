using System.Text.Json.Serialization;

namespace Vnvdimm.Cli.Layout;

/// <summary>Why an NVDIMM's data or labels are at risk with these options; the codes are for programs.</summary>
public enum WarningKind
{
    /// <summary>The file is longer than the backend's size: its tail, where labels may have been, is out of reach.</summary>
    [JsonStringEnumMemberName("file-larger-than-size")]
    FileLargerThanSize,

    /// <summary>The label area holds non-zero bytes that are not a label index: data a label write would destroy.</summary>
    [JsonStringEnumMemberName("label-area-holds-data")]
    LabelAreaHoldsData,

    /// <summary>A label set sits elsewhere in the file: written with another label-size or size.</summary>
    [JsonStringEnumMemberName("labels-elsewhere")]
    LabelsElsewhere,

    /// <summary>label-size=0 but the file's tail holds a label set: the guest sees it as data.</summary>
    [JsonStringEnumMemberName("labels-ignored")]
    LabelsIgnored,

    /// <summary>A namespace reaches beyond the PMEM the NVDIMM now gives (a smaller size, larger label area or coarser align).</summary>
    [JsonStringEnumMemberName("namespace-trimmed")]
    NamespaceTrimmed,

    /// <summary>The labels were written for another slot (their interleave-set cookie is that slot's).</summary>
    [JsonStringEnumMemberName("labels-for-other-slot")]
    LabelsForOtherSlot,

    /// <summary>The label set is damaged as Linux would read it.</summary>
    [JsonStringEnumMemberName("label-problem")]
    LabelProblem,

    /// <summary>share=off: the guest's writes, labels included, stay in the process and never reach the file.</summary>
    [JsonStringEnumMemberName("writes-discarded")]
    WritesDiscarded,

    /// <summary>discard-data=on: the backend's content is thrown away at exit, labels included.</summary>
    [JsonStringEnumMemberName("data-discarded")]
    DataDiscarded,

    /// <summary>Two backends map the same file: each NVDIMM overwrites the other's data and labels.</summary>
    [JsonStringEnumMemberName("file-shared")]
    FileShared,

    /// <summary>At this guest address Linux would not take a namespace's fsdax/devdax/sector info block (it uses it as raw).</summary>
    [JsonStringEnumMemberName("info-block-refused")]
    InfoBlockRefused,

    /// <summary>A skipped option changes what the guest sees.</summary>
    [JsonStringEnumMemberName("guest-view")]
    GuestView,
}

public sealed record LayoutWarning(
    [property: JsonPropertyName("kind")] WarningKind Kind,
    [property: JsonPropertyName("message")] string Message);

/// <summary>A namespace of the label set in the NVDIMM's label area.</summary>
public sealed record LayoutNamespace(
    [property: JsonPropertyName("uuid")] string Uuid,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("dpa")] ulong Dpa,
    [property: JsonPropertyName("size")] ulong Size);

/// <summary>What the bytes where the label area will be hold today.</summary>
public enum LabelAreaContent
{
    /// <summary>No label area (label-size=0).</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>Zero (or a file still to be created, or RAM): the guest starts with no labels.</summary>
    [JsonStringEnumMemberName("empty")]
    Empty,

    /// <summary>A label set Linux would read.</summary>
    [JsonStringEnumMemberName("labels")]
    Labels,

    /// <summary>Non-zero bytes without a valid label index.</summary>
    [JsonStringEnumMemberName("data")]
    Data,
}

/// <summary>One NVDIMM as the guest will see it and where its parts sit in the backing file.</summary>
public sealed record NvdimmLayout(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("memdev")] string Memdev,
    [property: JsonPropertyName("mem_path")] string? MemPath,
    [property: JsonPropertyName("slot")] int Slot,
    [property: JsonPropertyName("nfit_handle")] uint NfitHandle,
    [property: JsonPropertyName("dev")] string Dev,
    [property: JsonPropertyName("region")] string Region,
    [property: JsonPropertyName("address")] ulong Address,
    [property: JsonPropertyName("pmem_size")] ulong PmemSize,
    [property: JsonPropertyName("backend_size")] ulong BackendSize,
    [property: JsonPropertyName("file_size")] ulong? FileSize,
    [property: JsonPropertyName("label_offset")] ulong LabelOffset,
    [property: JsonPropertyName("label_size")] ulong LabelSize,
    [property: JsonPropertyName("alignment")] ulong Alignment,
    [property: JsonPropertyName("alignment_loss")] ulong AlignmentLoss,
    [property: JsonPropertyName("node")] uint Node,
    [property: JsonPropertyName("read_only")] bool ReadOnly,
    [property: JsonPropertyName("label_area")] LabelAreaContent LabelArea,
    [property: JsonPropertyName("label_version")] string? LabelVersion,
    [property: JsonPropertyName("namespaces")] IReadOnlyList<LayoutNamespace> Namespaces,
    [property: JsonPropertyName("warnings")] IReadOnlyList<LayoutWarning> Warnings);

/// <summary>What <c>vnvdimm layout</c> prints: the machine's NVDIMMs, and the options it passed over.</summary>
public sealed record LayoutReport(
    [property: JsonPropertyName("machine")] string Machine,
    [property: JsonPropertyName("device_memory_base")] ulong? DeviceMemoryBase,
    [property: JsonPropertyName("nvdimms")] IReadOnlyList<NvdimmLayout> Nvdimms,
    [property: JsonPropertyName("warnings")] IReadOnlyList<LayoutWarning> Warnings,
    [property: JsonPropertyName("notes")] IReadOnlyList<string> Notes,
    [property: JsonPropertyName("skipped")] IReadOnlyList<string> Skipped)
{
    public bool HasWarnings => Warnings.Count > 0 || Nvdimms.Any(n => n.Warnings.Count > 0);
}

[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(LayoutReport))]
internal sealed partial class LayoutJsonContext : JsonSerializerContext;
