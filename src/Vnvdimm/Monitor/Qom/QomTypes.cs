namespace Vnvdimm.Monitor.Qom;

/// <summary>A QOM type as <c>qom-list-types</c> reports it.</summary>
public sealed record QomType(string Name, string? Parent, bool Abstract);

/// <summary>
/// The QOM types vnvdimm has, with QEMU 7.2's names and parents, so that libqtest's
/// <c>qtest_has_device</c> and <c>qom-list-types</c> callers find what they would in QEMU.
/// </summary>
public static class QomTypes
{
    public static IReadOnlyList<QomType> All { get; } =
    [
        new("object", null, true),
        new("device", "object", true),
        // Abstract here: vnvdimm has NVDIMMs, not plain DIMMs, so "pc-dimm" can only be a parent.
        new("pc-dimm", "device", true),
        new("nvdimm", "pc-dimm", false),
        new("memory-backend", "object", true),
        new("memory-backend-file", "memory-backend", false),
        new("memory-backend-ram", "memory-backend", false),
        new("machine", "object", true),
        new("x86-machine", "machine", true),
        new("generic-pc-machine", "x86-machine", true),
        new("pc-i440fx-7.2-machine", "generic-pc-machine", false),
        new("pc-q35-7.2-machine", "generic-pc-machine", false),
        new("none-machine", "machine", false),
    ];

    /// <summary>Whether <paramref name="type"/> is <paramref name="ancestor"/> or derives from it.</summary>
    public static bool Implements(QomType type, string ancestor)
    {
        for (var t = type; t is not null; t = t.Parent is string parent ? All.FirstOrDefault(p => p.Name == parent) : null)
            if (t.Name == ancestor)
                return true;
        return false;
    }

    /// <summary>What <c>qom-list-types</c> answers: concrete types only unless <paramref name="includeAbstract"/>.</summary>
    public static IEnumerable<QomType> List(string? implements, bool includeAbstract) =>
        All.Where(t => (includeAbstract || !t.Abstract) && (implements is null || Implements(t, implements)));
}
