namespace Vnvdimm.Devices;

public static class NvdimmLimits
{
    /// <summary>The smallest label area: two index blocks and the labels of one namespace (QEMU's MIN_NAMESPACE_LABEL_SIZE).</summary>
    public const ulong MinLabelSize = 128UL << 10;
}
