using Vnvdimm.Guest.Labels;

namespace Vnvdimm.Guest.Namespaces.Btt;

/// <summary>
/// The two BTT layouts Linux knows (drivers/nvdimm/btt_devs.c), chosen by the namespace's claim class, not by what is on the
/// media: BTT 1.1 (v1.1 labels, claim class BTT or none, label-less namespaces) starts its first arena 4 KiB into the
/// namespace; BTT 2.0 (v1.2 labels, abstraction GUID BTT2) at its first byte.
/// </summary>
public sealed record BttVersion(ushort Major, ushort Minor, ulong InitialOffset)
{
    public static readonly BttVersion V1_1 = new(1, 1, 4096);
    public static readonly BttVersion V2_0 = new(2, 0, 0);

    /// <summary>The version a namespace described by labels of <paramref name="labels"/> gets; null for a label-less one.</summary>
    public static BttVersion ForLabels(LabelVersion? labels) => labels == LabelVersion.V1_2 ? V2_0 : V1_1;

    public override string ToString() => $"BTT {Major}.{Minor}";
}
