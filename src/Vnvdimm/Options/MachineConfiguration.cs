namespace Vnvdimm.Options;

public enum ChipsetKind
{
    Pc,
    Q35,

    /// <summary>QEMU's empty machine ("none"): RAM at 0 and nothing else; what libqtest starts to ask which machines exist.</summary>
    None,
}

/// <summary>The NFIT platform capability bits that <c>nvdimm-persistence</c> selects (ACPI 6.2A 5.2.25.9).</summary>
public enum PersistenceDomain : uint
{
    Unset = 0,
    MemoryController = 2,
    Cpu = 3,
}

public sealed record MachineOptions(ChipsetKind Chipset, string TypeName, bool Nvdimm, PersistenceDomain Persistence)
{
    public static MachineOptions Default { get; } = new(MachineTypes.Default.Chipset, MachineTypes.Default.Name, false, PersistenceDomain.Unset);

    /// <summary>The machine type's QEMU version: 7.2 for vnvdimm's own; older ones only in the layout planner.</summary>
    public Version Version { get; init; } = new(7, 2);
}

public sealed record MemoryOptions(ulong RamSize, uint Slots, ulong MaxMem)
{
    public const ulong DefaultRamSize = 128UL << 20;
    public static MemoryOptions Default { get; } = new(DefaultRamSize, 0, DefaultRamSize);
}

/// <summary>A <c>-object memory-backend-*</c>. <see cref="MemPath"/> is null for RAM backends.</summary>
public sealed record BackendOptions(
    string Id,
    ulong Size,
    bool Share,
    string? MemPath = null,
    ulong Align = 0,
    bool Pmem = false,
    bool Readonly = false,
    bool DiscardData = false,
    bool Prealloc = false)
{
    public bool IsFile => MemPath is not null;

    public string Location { get; init; } = $"-object id={Id}";
}

public sealed record NvdimmOptions(
    string? Id,
    string? Memdev,
    ulong LabelSize,
    bool Unarmed,
    Guid Uuid,
    int? Slot,
    uint Node,
    ulong Addr,
    string Location);

public sealed record NumaNodeOptions(uint NodeId, string? Memdev, string Location);

/// <summary>Standard I/O, a socket vnvdimm connects to at start, or one it listens on.</summary>
public enum EndpointKind { Stdio, Client, Server }

/// <summary>
/// A character-device endpoint such as <c>stdio</c>, <c>unix:PATH,server=on,wait=off</c> or
/// <c>tcp:HOST:PORT,server=on,wait=off</c> (an empty host means loopback); <paramref name="Source"/>
/// is the option that asked for it, which errors about it name.
/// </summary>
public sealed record EndpointOptions(EndpointKind Kind, SocketUri? Address = null, string? Source = null);

public sealed record MachineConfiguration
{
    public MachineOptions Machine { get; init; } = MachineOptions.Default;
    public MemoryOptions Memory { get; init; } = MemoryOptions.Default;
    public IReadOnlyList<BackendOptions> Backends { get; init; } = [];
    public IReadOnlyList<NvdimmOptions> Nvdimms { get; init; } = [];
    public IReadOnlyList<NumaNodeOptions> NumaNodes { get; init; } = [];
    public EndpointOptions? Qtest { get; init; }
    public IReadOnlyList<EndpointOptions> Qmp { get; init; } = [];
    public IReadOnlyList<EndpointOptions> Monitors { get; init; } = [];

    /// <summary>Endpoints nothing speaks on (serial ports, chardevs no monitor uses): opened, their input dropped.</summary>
    public IReadOnlyList<EndpointOptions> Idle { get; init; } = [];
    public string? QtestLog { get; init; }
    public bool StartStopped { get; init; }

    /// <summary>-incoming: "tcp:HOST:PORT", "unix:PATH" or "defer".</summary>
    public string? Incoming { get; init; }
    public string? Name { get; init; }
    public string? PidFile { get; init; }
}
