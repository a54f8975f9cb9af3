using System.Text.Json.Serialization;
using Vnvdimm.HostMemory;

namespace Vnvdimm.Cli.Tools.Rendering;

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(IReadOnlyList<LabelReport>))]
[JsonSerializable(typeof(PersistenceVerdict))]
[JsonSerializable(typeof(IReadOnlyList<PersistenceVerdict>))]
internal sealed partial class ToolJsonContext : JsonSerializerContext;
