using System.Text.Json.Serialization;

namespace Vnvdimm.Monitor.Qmp;

/// <summary>The answer types of QMP, serialised without reflection (the CLI is a NativeAOT program).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VersionInfo))]
[JsonSerializable(typeof(StatusInfo))]
[JsonSerializable(typeof(NameInfo))]
[JsonSerializable(typeof(IReadOnlyList<MemoryDeviceInfo>))]
[JsonSerializable(typeof(IReadOnlyList<MemdevInfo>))]
[JsonSerializable(typeof(IReadOnlyList<CommandInfo>))]
[JsonSerializable(typeof(IReadOnlyList<QomPropertyInfo>))]
[JsonSerializable(typeof(Migration.MigrationInfo))]
[JsonSerializable(typeof(IReadOnlyList<Migration.MigrationSocketAddress>))]
[JsonSerializable(typeof(IReadOnlyList<MigrationCapabilityInfo>))]
[JsonSerializable(typeof(MigrationParametersInfo))]
[JsonSerializable(typeof(IReadOnlyList<MachineInfo>))]
[JsonSerializable(typeof(IReadOnlyList<ObjectTypeInfo>))]
internal sealed partial class QmpJsonContext : JsonSerializerContext;
