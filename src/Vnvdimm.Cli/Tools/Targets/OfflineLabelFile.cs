using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Namespaces;
using Vnvdimm.HostMemory;

namespace Vnvdimm.Cli.Tools.Targets;

/// <summary>The backing file a label command works on offline, and the label-size that puts its label area in the file's tail.</summary>
public sealed record OfflineLabelFile(string Path, ulong LabelSize)
{
    /// <param name="writable">To write labels: refused for a file nobody may write, as the guest tools refuse an unarmed DIMM.</param>
    public FileLabelStorage OpenLabels(bool writable)
    {
        if (writable && IsReadOnly())
            throw new ToolException($"{Path}: read-only (no write permission): its labels are not changed");
        try
        {
            return new FileLabelStorage(Path, (uint)LabelSize, writable);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ToolException($"{Path}: {HostErrors.Describe(e, Path)}");
        }
    }

    /// <summary>
    /// The region a machine makes of the file in <paramref name="slot"/>, as the guest would see it, with the file's label
    /// area in <paramref name="labels"/>. Read-only when nobody may write the file: a machine maps it only readonly=on,
    /// its NVDIMM unarmed.
    /// </summary>
    public NamespaceRegion InSlot(int slot, ulong align, FileLabelStorage labels) =>
        new(Path, OfflineRegion.For(Path, LabelSize, slot, align, unarmed: IsReadOnly()), new LabelStore(labels), "no write permission");

    public bool IsReadOnly() => FileLabelStorage.IsReadOnly(Path);
}
