using Vnvdimm.Cli.Layout;
using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Namespaces;
using Vnvdimm.Guest.Nfit;
using Vnvdimm.HostMemory;

namespace Vnvdimm.Cli.Tools.Targets;

/// <summary>The backing file a label command works on offline, and the label-size that puts its label area in the file's tail.</summary>
public sealed record OfflineLabelFile(string Path, ulong LabelSize)
{
    /// <param name="writable">To write labels: refused for a file nobody may write, as the guest tools refuse an unarmed DIMM.</param>
    public FileLabelStorage OpenLabels(bool writable)
    {
        if (LabelSize == 0)
            throw new ToolException($"--label-size 0: the NVDIMM has no label area (its one label-less namespace is made with label format)");
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
    /// The file's <paramref name="region"/> (from <see cref="Region"/>), as the guest would see it, with the file's label
    /// area in <paramref name="labels"/>. Read-only when nobody may write the file: a machine maps it only readonly=on,
    /// its NVDIMM unarmed.
    /// </summary>
    public NamespaceRegion InSlot(GuestRegion region, FileLabelStorage labels, IRegionMedia media) =>
        new(Path, region, new LabelStore(labels), media, "no write permission");

    /// <summary>The region the file makes in <paramref name="slot"/> with the backend's <paramref name="align"/>.</summary>
    public GuestRegion Region(int slot = 0, ulong align = 4096) => OfflineRegion.For(Path, LabelSize, slot, align, unarmed: IsReadOnly());

    /// <summary>The file's region as bytes (its first PMEM-size bytes), where namespaces keep their info blocks.</summary>
    public FileRegionMedia OpenRegion(GuestRegion region, bool writable)
    {
        if (writable && IsReadOnly())
            throw new ToolException($"{Path}: read-only (no write permission): nothing is written");
        return new FileRegionMedia(Path, region.Spa.Length, writable);
    }

    public bool IsReadOnly() => FileLabelStorage.IsReadOnly(Path);

    /// <summary>A label set ending at the file's end, whatever label-size it was written for (none: null).</summary>
    public FoundLabelSet? LabelSetInTail()
    {
        using var handle = File.OpenHandle(Path);
        return LabelSetSearch.FindEndingAt(handle, [(ulong)RandomAccess.GetLength(handle)]).FirstOrDefault();
    }
}
