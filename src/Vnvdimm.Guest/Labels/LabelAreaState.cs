namespace Vnvdimm.Guest.Labels;

/// <summary>
/// What a label area holds, read the way Linux reads it: the current index block, the labels in
/// its used slots, and every problem met on the way. Problems are reported, never repaired.
/// </summary>
public sealed record LabelAreaState(
    uint AreaSize,
    LabelGeometry? Geometry,
    int CurrentBlock,
    NamespaceIndex? Current,
    IReadOnlyList<NamespaceLabel> Labels,
    IReadOnlyList<string> Problems)
{
    /// <summary>At least one valid index block: the area holds a label set (possibly empty).</summary>
    public bool Initialized => Current is not null;

    public LabelVersion? Version => Current is null ? null : Geometry!.Version;

    public uint FreeSlots => Current is null ? 0 : (uint)Current.Free.Cast<bool>().Count(f => f);
}
