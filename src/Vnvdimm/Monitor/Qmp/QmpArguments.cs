using System.Text.Json;

namespace Vnvdimm.Monitor.Qmp;

/// <summary>
/// A command's "arguments" object, read with QEMU's type rules and messages. Commands take the
/// members they know; <see cref="RejectUnknown"/> then refuses the rest.
/// </summary>
public sealed class QmpArguments
{
    private readonly Dictionary<string, JsonElement> _members = new(StringComparer.Ordinal);
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);

    public QmpArguments(JsonElement? arguments)
    {
        if (arguments is JsonElement obj)
            foreach (var member in obj.EnumerateObject())
                _members[member.Name] = member.Value;
    }

    public string? String(string name) => Take(name, JsonValueKind.String, "string") is JsonElement e ? e.GetString() : null;

    public string RequiredString(string name) => String(name) ?? throw Missing(name);

    public bool? Bool(string name)
    {
        if (!_members.TryGetValue(name, out var e))
            return Taken<bool?>(name, null);
        _taken.Add(name);
        return e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw TypeError(name, "boolean"),
        };
    }

    public long? Integer(string name) =>
        Take(name, JsonValueKind.Number, "integer") is JsonElement e
            ? e.TryGetInt64(out long v) ? v : throw TypeError(name, "integer")
            : null;

    /// <summary>A size or other uint64: a JSON number only (QMP, unlike the command line, takes no "1G").</summary>
    public ulong? UInt64(string name)
    {
        if (!_members.TryGetValue(name, out var e))
            return Taken(name, (ulong?)null);
        _taken.Add(name);
        return e.ValueKind == JsonValueKind.Number && e.TryGetUInt64(out ulong v)
            ? v
            : throw MonitorException.Generic($"Parameter '{name}' expects uint64");
    }

    /// <summary>Any JSON value, raw.</summary>
    public JsonElement? Value(string name)
    {
        _taken.Add(name);
        return _members.TryGetValue(name, out var e) ? e : null;
    }

    public void RejectUnknown()
    {
        foreach (string name in _members.Keys)
            if (!_taken.Contains(name))
                throw MonitorException.Generic($"Parameter '{name}' is unexpected");
    }

    /// <summary>
    /// The members as QemuOpts strings, the way QEMU 7.2 turns <c>device_add</c> arguments into
    /// options: strings as they are, numbers in decimal, booleans as on/off.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string>> AsOptionStrings(params string[] except)
    {
        foreach (var (name, e) in _members)
        {
            if (except.Contains(name))
                continue;
            _taken.Add(name);
            string text = e.ValueKind switch
            {
                JsonValueKind.String => e.GetString()!,
                JsonValueKind.Number => e.GetRawText(),
                JsonValueKind.True => "on",
                JsonValueKind.False => "off",
                _ => throw MonitorException.Generic($"Parameter '{name}' is not a scalar"),
            };
            yield return new(name, text);
        }
    }

    public static MonitorException Missing(string name) => MonitorException.Generic($"Parameter '{name}' is missing");

    private JsonElement? Take(string name, JsonValueKind kind, string typeName)
    {
        _taken.Add(name);
        if (!_members.TryGetValue(name, out var e))
            return null;
        return e.ValueKind == kind ? e : throw TypeError(name, typeName);
    }

    private T Taken<T>(string name, T value)
    {
        _taken.Add(name);
        return value;
    }

    private static MonitorException TypeError(string name, string expected) =>
        MonitorException.Generic($"Invalid parameter type for '{name}', expected: {expected}");
}
