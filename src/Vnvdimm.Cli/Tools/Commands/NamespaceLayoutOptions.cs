using System.CommandLine;
using Vnvdimm.Guest.Namespaces;
using Vnvdimm.Guest.Namespaces.Btt;
using Vnvdimm.Guest.Namespaces.Pfn;

namespace Vnvdimm.Cli.Tools.Commands;

/// <summary>
/// --mode, --map, --align and --sector-size: how a namespace is laid out, with ndctl create-namespace's names and
/// defaults, in a guest and offline alike. An option that does not apply to the mode is refused, as ndctl refuses it.
/// </summary>
internal sealed class NamespaceLayoutOptions(NamespaceMode defaultMode, params NamespaceMode[] modes)
{
    private readonly Option<string?> _mode = new("--mode", "-m")
    {
        Description = $"{string.Join("|", modes.Select(NamespaceModes.Name))} (default {NamespaceModes.Name(defaultMode)})",
    };

    private readonly Option<string?> _map = new("--map", "-M")
    {
        Description = "fsdax/devdax: where the page map lives, mem (system RAM) or dev (the namespace: default)",
    };

    private readonly Option<string?> _align = new("--align", "-a")
    {
        Description = "fsdax/devdax: the mapping alignment, 4K, 2M (default) or 1G; the namespace size must be a multiple",
    };

    private readonly Option<string?> _sectorSize = new("--sector-size", "-l")
    {
        Description = $"sector: the BTT's sector size, one of {BttLayout.SupportedSizesText} (default 4096)",
    };

    public Option[] All => [_mode, _map, _align, _sectorSize];

    public NamespaceLayout Read(ParseResult result)
    {
        string? modeText = result.GetValue(_mode);
        var mode = modeText is null ? defaultMode
            : NamespaceModes.Parse(modeText) is NamespaceMode parsed && modes.Contains(parsed) ? parsed
            : throw new ToolException($"--mode {modeText}: use {string.Join(", ", modes.Select(NamespaceModes.Name))}");
        string? mapText = result.GetValue(_map), alignText = result.GetValue(_align);
        ulong? sectorSize = result.GetValue(_sectorSize) is string sectorText ? OptionParsers.Size(sectorText) : null;
        bool pfn = mode is NamespaceMode.Fsdax or NamespaceMode.Devdax;
        if (!pfn && mapText is not null)
            throw new ToolException($"--map applies to fsdax and devdax namespaces, not {NamespaceModes.Name(mode)}");
        if (!pfn && alignText is not null)
            throw new ToolException($"--align applies to fsdax and devdax namespaces, not {NamespaceModes.Name(mode)}" +
                " (the backend's align= is --backend-align)");
        if (mode != NamespaceMode.Sector && sectorSize is not null)
            throw new ToolException($"--sector-size applies to sector namespaces, not {NamespaceModes.Name(mode)}");
        var map = mapText is null ? PfnMap.Dev
            : NamespaceModes.ParseMap(mapText) ?? throw new ToolException($"--map {mapText}: use mem or dev");
        ulong align = alignText is null ? PfnLayout.DefaultAlign : OptionParsers.Size(alignText);
        if (pfn && !PfnLayout.Alignments.Contains(align))
            throw new ToolException($"--align {alignText}: use 4K, 2M or 1G (what Linux maps on x86-64)");
        ulong sectorValue = sectorSize ?? NamespaceLayout.DefaultSectorSize;
        uint sector = (uint)Math.Min(sectorValue, uint.MaxValue);
        if (mode == NamespaceMode.Sector && (sectorValue > uint.MaxValue || !BttLayout.Supports(sector)))
            throw new ToolException($"--sector-size {sectorValue}: use one of {BttLayout.SupportedSizesText}");
        return new NamespaceLayout(mode, map, align, sector);
    }
}
