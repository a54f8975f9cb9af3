namespace Vnvdimm.Options;

/// <summary>A machine type vnvdimm provides, with what QEMU 7.2 says of it in -machine help and query-machines.</summary>
public sealed record MachineType(string Name, string? Alias, string Description, ChipsetKind Chipset, bool IsDefault, int CpuMax,
    bool HotpluggableCpus, string? DefaultCpuType, string DefaultRamId);

/// <summary>The machine types: the one table behind -machine parsing, -machine help and query-machines.</summary>
public static class MachineTypes
{
    public static IReadOnlyList<MachineType> All { get; } =
    [
        new("pc-i440fx-7.2", "pc", "Standard PC (i440FX + PIIX, 1996)", ChipsetKind.Pc, true, 255, true, "qemu64-x86_64-cpu", "pc.ram"),
        new("pc-q35-7.2", "q35", "Standard PC (Q35 + ICH9, 2009)", ChipsetKind.Q35, false, 288, true, "qemu64-x86_64-cpu", "pc.ram"),
        new("none", null, "empty machine", ChipsetKind.None, false, 1, false, null, "ram"),
    ];

    public static MachineType Default => All.First(t => t.IsDefault);

    /// <summary>The type a name or alias stands for; null when there is none.</summary>
    public static MachineType? Find(string name) => All.FirstOrDefault(t => t.Name == name || t.Alias == name);

    /// <summary>What <c>-machine help</c> prints, in QEMU's layout (an alias first, then its type).</summary>
    public static string Help()
    {
        var text = new System.Text.StringBuilder("Supported machines are:\n");
        foreach (var type in All)
        {
            if (type.Alias is string alias)
                text.Append($"{alias,-20} {type.Description} (alias of {type.Name})\n");
            text.Append($"{type.Name,-20} {type.Description}{(type.IsDefault ? " (default)" : "")}\n");
        }
        return text.ToString();
    }
}
