namespace Vnvdimm.Guest.Labels;

/// <summary>The two namespace label formats Linux reads: v1.1 (128-byte labels) and v1.2 (256-byte labels, UEFI 2.7).</summary>
public enum LabelVersion { V1_1, V1_2 }

/// <summary>
/// Where things are in a label area, computed as Linux computes it (drivers/nvdimm/label.c): two
/// index blocks, each 256-byte aligned and large enough for the free bitmap, then the label slots.
/// </summary>
public sealed record LabelGeometry(LabelVersion Version, uint AreaSize, uint SlotCount, uint IndexSize)
{
    public const int IndexAlignment = 256;
    public const int IndexHeaderSize = 72;

    public int LabelSize => Version == LabelVersion.V1_1 ? 128 : 256;
    public uint IndexOffset(int block) => (uint)block * IndexSize;
    public uint LabelsOffset => 2 * IndexSize;
    public uint SlotOffset(uint slot) => LabelsOffset + slot * (uint)LabelSize;

    /// <summary>
    /// The geometry of an area of <paramref name="areaSize"/> bytes, or null when it is too small for two index blocks and two labels.
    /// </summary>
    public static LabelGeometry? For(uint areaSize, LabelVersion version)
    {
        uint labelSize = version == LabelVersion.V1_1 ? 128u : 256u;
        uint roughSlots = areaSize / labelSize;
        uint units = IndexSizeFor(roughSlots) / IndexAlignment;
        if ((ulong)IndexAlignment * units * 2 >= areaSize)
            return null;
        uint slots = (areaSize - IndexAlignment * units * 2) / labelSize;
        uint indexSize = IndexSizeFor(slots);
        if (slots < 2 || 2UL * indexSize + (ulong)slots * labelSize > areaSize)
            return null;
        return new LabelGeometry(version, areaSize, slots, indexSize);
    }

    public static uint IndexSizeFor(uint slots) =>
        (uint)((IndexHeaderSize + (slots + 7) / 8 + IndexAlignment - 1) / IndexAlignment * IndexAlignment);
}
