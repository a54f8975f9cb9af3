namespace Vnvdimm.Acpi.Loader;

/// <summary>The ordered loader commands, serialised as the <c>etc/table-loader</c> file.</summary>
public sealed class TableLoaderScript
{
    /// <summary>QEMU pads the script to whole pages; so do we, so that the fw_cfg sizes match.</summary>
    public const int Alignment = 4096;

    private readonly List<LoaderCommand> _commands = [];

    public IReadOnlyList<LoaderCommand> Commands => _commands;

    public TableLoaderScript Add(LoaderCommand command)
    {
        _commands.Add(command);
        return this;
    }

    public byte[] ToBytes()
    {
        int used = _commands.Count * LoaderCommand.Size;
        var script = new byte[Math.Max(Alignment, (used + Alignment - 1) / Alignment * Alignment)];
        for (int i = 0; i < _commands.Count; i++)
            _commands[i].WriteTo(script.AsSpan(i * LoaderCommand.Size, LoaderCommand.Size));
        return script;
    }
}
