namespace Vnvdimm.Monitor;

/// <summary>The emulator version QMP reports: the QEMU release whose interfaces we implement, and our own in "package".</summary>
public sealed record QemuVersion(int Major, int Minor, int Micro);

public sealed record VersionInfo(QemuVersion Qemu, string Package);

public sealed record StatusInfo(string Status, bool Singlestep, bool Running);

/// <summary>An entry of <c>query-memory-devices</c>' "data" for an NVDIMM, as QEMU's PCDIMMDeviceInfo.</summary>
public sealed record PcDimmInfo(string? Id, ulong Addr, ulong Size, int Slot, uint Node, string Memdev, bool Hotplugged, bool Hotpluggable);

public sealed record MemoryDeviceInfo(string Type, PcDimmInfo Data);

/// <summary>An entry of <c>query-memdev</c>, as QEMU's Memdev.</summary>
public sealed record MemdevInfo(
    string Id, ulong Size, bool Merge, bool Dump, bool Prealloc, bool Share, bool Reserve, IReadOnlyList<uint> HostNodes, string Policy);

public sealed record NameInfo(string? Name);

public sealed record CommandInfo(string Name);

public sealed record QomPropertyInfo(string Name, string Type);

public sealed record MigrationCapabilityInfo(string Capability, bool State);

public sealed record MigrationParametersInfo(ulong MaxBandwidth);

/// <summary>An entry of <c>query-machines</c>, as QEMU's MachineInfo (fields in QEMU's order).</summary>
public sealed record MachineInfo(bool HotpluggableCpus, string Name, bool NumaMemSupported, string? DefaultCpuType,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    bool IsDefault,
    int CpuMax, bool Deprecated, string DefaultRamId, string? Alias);

/// <summary>An entry of <c>qom-list-types</c>, as QEMU's ObjectTypeInfo ("abstract" only when true).</summary>
public sealed record ObjectTypeInfo(
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    bool Abstract,
    string Name, string? Parent);
