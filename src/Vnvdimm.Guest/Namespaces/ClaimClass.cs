namespace Vnvdimm.Guest.Namespaces;

/// <summary>
/// Which driver may claim a namespace, as a v1.2 label's abstraction GUID says (Linux's nvdimm_claim_class). None
/// (v1.1 labels, label-less namespaces, a zero GUID) lets Linux find the info block by itself.
/// </summary>
public enum ClaimClass
{
    None,
    Btt,
    Btt2,
    Pfn,
    Dax,
    Unknown,
}

/// <summary>The abstraction GUIDs of namespace labels v1.2 (the UEFI namespace label specification and Linux's nd.h).</summary>
public static class AbstractionGuids
{
    public static readonly Guid Btt = new("8aed63a2-29a2-4c66-8b12-f05d15d3922a");
    public static readonly Guid Btt2 = new("18633bfc-1735-4217-8ac9-17239282d3f8");
    public static readonly Guid Pfn = new("266400ba-fb9f-4677-bcb0-968f11d0d225");
    public static readonly Guid Dax = new("97a86d9c-3cdd-4eda-986f-5068b4f80088");

    public static ClaimClass ClassOf(Guid guid) =>
        guid == Guid.Empty ? ClaimClass.None
        : guid == Btt ? ClaimClass.Btt
        : guid == Btt2 ? ClaimClass.Btt2
        : guid == Pfn ? ClaimClass.Pfn
        : guid == Dax ? ClaimClass.Dax
        : ClaimClass.Unknown;

    /// <summary>The GUID a v1.2 label of a namespace in <paramref name="mode"/> carries (a sector namespace's BTT is 2.0 there).</summary>
    public static Guid For(NamespaceMode mode) => mode switch
    {
        NamespaceMode.Fsdax => Pfn,
        NamespaceMode.Devdax => Dax,
        NamespaceMode.Sector => Btt2,
        _ => Guid.Empty,
    };
}
