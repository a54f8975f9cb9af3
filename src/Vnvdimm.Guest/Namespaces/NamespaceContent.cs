namespace Vnvdimm.Guest.Namespaces;

/// <summary>
/// What Linux makes of a namespace, as ndctl list -N reports it: the mode its info block (if any, and valid) gives it,
/// the size a guest gets, the uuid ndctl shows (the info block's, else the namespace's), the sector size of its block
/// device and, for fsdax/devdax, the map and align. <see cref="Problem"/> says why an info block there was not taken;
/// when Linux refuses the namespace outright (a claimed info block it cannot use), <see cref="Enabled"/> is false: no
/// device, and ndctl list leaves it out.
/// </summary>
public sealed record NamespaceContent(
    NamespaceMode Mode, ulong Size, Guid? Uuid, uint? SectorSize, PfnMap? Map = null, ulong? Align = null, string? Problem = null,
    bool Enabled = true);
