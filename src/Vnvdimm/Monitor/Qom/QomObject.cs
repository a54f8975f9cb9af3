using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vnvdimm.Monitor.Qom;

/// <summary>
/// A QOM property: its QEMU type name, a getter, and what happens on <c>qom-set</c> — a setter, or
/// the refusal QEMU gives for it (most properties are fixed once a device is realized).
/// </summary>
public sealed record QomProperty(string Name, string Type, Func<JsonNode?> Get, Action<JsonElement>? Set = null, string? SetRefusal = null);

/// <summary>An object of the QOM composition tree as <c>qom-list</c>/<c>qom-get</c>/<c>qom-set</c> see it.</summary>
public sealed record QomObject(string Path, string TypeName, IReadOnlyList<QomProperty> Properties, IReadOnlyList<QomObject> Children)
{
    public string Name => Path == "/" ? "" : Path[(Path.LastIndexOf('/') + 1)..];

    /// <summary>What <c>qom-list</c> answers: "type", the object's own properties, then its children.</summary>
    public IEnumerable<QomPropertyInfo> List() =>
        new[] { new QomPropertyInfo("type", "string") }
            .Concat(Properties.Select(p => new QomPropertyInfo(p.Name, p.Type)))
            .Concat(Children.Select(c => new QomPropertyInfo(c.Name, $"child<{c.TypeName}>")));

    public JsonNode? Get(string property)
    {
        if (property == "type")
            return JsonValue.Create(TypeName);
        if (Children.FirstOrDefault(c => c.Name == property) is QomObject child)
            return JsonValue.Create(child.Path);
        return Find(property).Get();
    }

    public void Set(string property, JsonElement value)
    {
        if (property == "type" || Children.Any(c => c.Name == property))
            throw MonitorException.Generic($"Property '{TypeName}.{property}' is not writable");
        var p = Find(property);
        if (p.Set is null)
            throw MonitorException.Generic(p.SetRefusal ?? $"Property '{TypeName}.{property}' is not writable");
        p.Set(value);
    }

    private QomProperty Find(string property) =>
        Properties.FirstOrDefault(p => p.Name == property)
        ?? throw MonitorException.Generic($"Property '{TypeName}.{property}' not found");
}
