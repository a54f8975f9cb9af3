using System.Globalization;
using System.Text.Json;

namespace Vnvdimm.Options;

/// <summary>
/// One QemuOpts argument (<c>pc,nvdimm=on</c>), or for <c>-object</c> and <c>-device</c> a JSON object
/// as libvirt writes them (<c>{"driver":"nvdimm","memdev":"m0"}</c>): ordered key/value pairs.
/// Consumers take the keys they know; <see cref="RejectUnknown"/> then refuses whatever is left, as QEMU does.
/// </summary>
public sealed class OptionGroup
{
    /// <summary>The options whose argument QEMU 7.2 also takes as JSON.</summary>
    private static readonly HashSet<string> JsonOptions = ["object", "device"];

    /// <summary>Options QEMU 7.2 reads with keyval rather than QemuOpts: every item needs its '='.</summary>
    private static readonly HashSet<string> KeyvalOptions = ["machine"];

    private readonly List<KeyValuePair<string, string>> _pairs;
    private readonly HashSet<string> _taken = [];

    // For JSON arguments: each key's JSON type, which QEMU checks strictly (a size must be a number).
    private readonly Dictionary<string, JsonValueKind>? _jsonKinds;

    private OptionGroup(string option, string text, List<KeyValuePair<string, string>> pairs, Dictionary<string, JsonValueKind>? jsonKinds = null)
    {
        Option = option;
        Text = text;
        _pairs = pairs;
        _jsonKinds = jsonKinds;
    }

    /// <summary>The option as typed ("-M" for -machine), which QEMU's messages quote.</summary>
    public string? Typed { get; private init; }



    /// <summary>The option name without dash, e.g. "device".</summary>
    public string Option { get; }

    /// <summary>The argument as the user typed it.</summary>
    public string Text { get; }

    /// <summary>"-device nvdimm,memdev=m0": the prefix QEMU puts before an error about this argument.</summary>
    public string Location => $"{Typed ?? "-" + Option} {Text}";

    /// <summary>Parses <paramref name="text"/>; a first item without '=' is the value of <paramref name="impliedKey"/>.</summary>
    /// <param name="typed">The option as the user typed it ("-M"), for messages; "-" + option by default.</param>
    public static OptionGroup Parse(string option, string text, string? impliedKey, string? typed = null)
    {
        string location = $"{typed ?? "-" + option} {text}";
        if (text.StartsWith('{') && JsonOptions.Contains(option))
            return ParseJson(option, text, location, typed);
        var pairs = new List<KeyValuePair<string, string>>();
        int i = 0;
        bool first = true;
        while (i <= text.Length)
        {
            string item = ReadItem(text, ref i);
            if (item.Length == 0 && i > text.Length)
                break;
            int eq = item.IndexOf('=');
            // QemuOpts names a first item only when '=' comes before any comma: "nvdimm,,memdev=m0" is one value.
            int comma = item.IndexOf(',');
            if (first && impliedKey is not null && eq >= 0 && comma >= 0 && comma < eq && !KeyvalOptions.Contains(option))
                eq = -1;
            if (eq < 0)
            {
                if (first && impliedKey is not null && !(item.Length == 0 && KeyvalOptions.Contains(option)))
                    pairs.Add(new(impliedKey, Unescape(item)));
                else if (item.Length == 0)
                    throw new ConfigurationException("Invalid parameter ''", location);
                else if (KeyvalOptions.Contains(option))
                    throw new ConfigurationException($"Expected '=' after parameter '{item}'", location);
                else
                    // QemuOpts' short form (deprecated in QEMU 7.2): "key" is key=on, "nokey" key=off.
                    pairs.Add(item.StartsWith("no", StringComparison.Ordinal) ? new(item[2..], "off") : new(item, "on"));
            }
            else
            {
                pairs.Add(new(item[..eq], Unescape(item[(eq + 1)..])));
            }
            first = false;
        }
        return new OptionGroup(option, text, pairs) { Typed = typed };
    }

    private static OptionGroup ParseJson(string option, string text, string location, string? typed)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        var kinds = new Dictionary<string, JsonValueKind>(StringComparer.Ordinal);
        string json = DoubleQuoted(text);
        string? error = null;
        try
        {
            using var document = JsonDocument.Parse(json);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var value = property.Value;
                if (!kinds.TryAdd(property.Name, value.ValueKind))
                {
                    error = "JSON parse error, duplicate key";
                    break;
                }
                pairs.Add(new(property.Name, value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()));
            }
        }
        catch (JsonException e)
        {
            // QEMU's wording for a cut-off argument; otherwise where it went wrong, never the .NET parser's prose.
            error = e.BytePositionInLine >= System.Text.Encoding.UTF8.GetByteCount(json)
                ? "JSON parse error, premature EOI"
                : $"JSON parse error, invalid JSON at byte {e.BytePositionInLine}";
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            error = "JSON parse error, invalid character (a lone UTF-16 surrogate?)";
        }
        if (error is not null)
            throw new ConfigurationException(error, location);
        return new OptionGroup(option, text, pairs, kinds) { Typed = typed };
    }

    /// <summary>QEMU's JSON parser takes 'single-quoted' strings too (QMP's habit): made double-quoted for the standard parser.</summary>
    private static string DoubleQuoted(string text)
    {
        if (!text.Contains('\''))
            return text;
        var json = new System.Text.StringBuilder(text.Length + 8);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '"')
            {
                int end = i + 1;
                while (end < text.Length && text[end] != '"')
                    end += text[end] == '\\' ? 2 : 1;
                json.Append(text, i, Math.Min(end + 1, text.Length) - i);
                i = end;
                continue;
            }
            if (c != '\'')
            {
                json.Append(c);
                continue;
            }
            json.Append('"');
            for (i++; i < text.Length && text[i] != '\''; i++)
            {
                if (text[i] == '\\' && i + 1 < text.Length)
                {
                    if (text[i + 1] == '\'')
                        json.Append('\'');
                    else
                        json.Append(text[i]).Append(text[i + 1]);
                    i++;
                }
                else
                {
                    json.Append(text[i] == '"' ? "\\\"" : text[i].ToString());
                }
            }
            if (i < text.Length)
                json.Append('"'); // an unterminated string stays cut off: "premature EOI"
        }
        return json.ToString();
    }

    // Splits at single commas; ",," stays in the item and is unescaped later.
    private static string ReadItem(string text, ref int i)
    {
        int start = i;
        while (i < text.Length)
        {
            if (text[i] == ',')
            {
                if (i + 1 < text.Length && text[i + 1] == ',')
                {
                    i += 2;
                    continue;
                }
                break;
            }
            i++;
        }
        string item = text[start..i];
        i++;
        return item;
    }

    private static string Unescape(string value) => value.Replace(",,", ",", StringComparison.Ordinal);

    /// <summary>Options that arrive as key/value pairs already (a QMP command's arguments).</summary>
    public static OptionGroup FromPairs(string option, IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var list = pairs.ToList();
        return new OptionGroup(option, string.Join(",", list.Select(p => $"{p.Key}={p.Value.Replace(",", ",,", StringComparison.Ordinal)}")), list);
    }

    public bool Has(string key) => _pairs.Exists(p => p.Key == key);

    public string? String(string key)
    {
        string? found = Raw(key);
        if (found is not null && JsonKind(key) is JsonValueKind kind && kind != JsonValueKind.String)
            throw WrongType(key, "string");
        return found;
    }

    private string? Raw(string key)
    {
        _taken.Add(key);
        string? found = null;
        foreach (var pair in _pairs)
        {
            if (pair.Key == key)
            {
                found = pair.Value; // the last occurrence wins, as in QemuOpts...
                if (key == "id")
                    break; // ...except the id, which QemuOpts takes from the first
            }
        }
        return found;
    }

    private JsonValueKind? JsonKind(string key) => _jsonKinds is not null && _jsonKinds.TryGetValue(key, out var kind) ? kind : null;

    private ConfigurationException WrongType(string key, string expected) => Error($"Invalid parameter type for '{key}', expected: {expected}");

    /// <summary>A JSON integer as QEMU's input visitor reads one: a negative value wraps to its two's complement.</summary>
    private ulong? JsonInteger(string key, string value) =>
        JsonKind(key) == JsonValueKind.Number
            ? ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var u) ? u
            : long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? unchecked((ulong)l) : null
            : null;

    /// <summary>Whether the argument was JSON (its errors have their own words in QEMU).</summary>
    public bool IsJson => _jsonKinds is not null;

    /// <summary>A key that must be there.</summary>
    public string RequiredString(string key) => String(key) ?? throw Error($"Parameter '{key}' is missing");

    /// <summary>The type key (driver, qom-type): QEMU looks it up as a string, so in JSON any other value counts as absent.</summary>
    public string RequiredType(string key) =>
        (JsonKind(key) is JsonValueKind kind && kind != JsonValueKind.String ? null : String(key)) ?? throw Error($"Parameter '{key}' is missing");

    public bool? Bool(string key)
    {
        string? value = Raw(key);
        if (value is not null && JsonKind(key) is JsonValueKind kind)
            return kind is JsonValueKind.True or JsonValueKind.False ? kind == JsonValueKind.True : throw WrongType(key, "boolean");
        return value switch
        {
            null => null,
            "on" or "yes" or "true" or "y" => true,
            "off" or "no" or "false" or "n" => false,
            _ => throw Error($"Parameter '{key}' expects 'on' or 'off'"),
        };
    }

    public ulong? Size(string key, ulong defaultUnit = 1)
    {
        string? value = Raw(key);
        if (value is null)
            return null;
        if (_jsonKinds is not null)
            return JsonInteger(key, value) ?? throw Error($"Parameter '{key}' expects uint64");
        if (SizeParser.TryParse(value, defaultUnit, out var size))
            return size;
        // Each of QEMU's parsers has its own words: qdev properties, QemuOpts (-m), QOM objects.
        throw Option switch
        {
            "device" => Error($"Parameter '{key}' expects size"),
            "m" when SizeParser.IsOutOfRange(value) => Error($"Value '{value}' is out of range for parameter '{key}'"),
            "m" => new ConfigurationException($"Parameter '{key}' expects a non-negative number below 2^64", Location)
            {
                Hint = "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.",
            },
            _ => Error($"Parameter '{key}' expects a size value"),
        };
    }

    public ulong? Number(string key)
    {
        string? value = Raw(key);
        if (value is null)
            return null;
        if (_jsonKinds is not null)
            return JsonInteger(key, value) ?? throw Error($"Parameter '{key}' expects uint64"); // every such property is unsigned
        // strtoull's rules, as QEMU uses them: leading blanks and '+' pass, 0x for hex, a leading 0 for octal,
        // and a minus sign wraps ("-1" is 2^64 - 1) except in -numa, which QEMU reads with its options visitor.
        string trimmed = value.TrimStart(' ', '\t', '\n');
        bool negative = trimmed.StartsWith('-');
        string digits = negative || trimmed.StartsWith('+') ? trimmed[1..] : trimmed;
        if (negative && Option == "numa")
            throw Error($"Parameter '{key}' expects a uint64 value");
        bool hex = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (TryStrtoull(digits, out ulong n))
            return negative ? unchecked(0 - n) : n;
        bool tooLarge = BigIntegerSyntax(digits, hex);
        throw Option switch
        {
            "device" => Error($"Parameter '{key}' expects integer"),
            "numa" => Error($"Parameter '{key}' expects a uint64 value"),
            "accel" => Error($"Parameter '{key}' expects uint64"),
            _ when tooLarge => Error($"Value '{value}' is too large for parameter '{key}'"),
            _ => Error($"Parameter '{key}' expects a number"),
        };
    }

    /// <summary>An unsigned number in base 0: "0x1f" hex, "017" octal, "17" decimal; the whole text must be the number.</summary>
    private static bool TryStrtoull(string digits, out ulong value)
    {
        value = 0;
        if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return ulong.TryParse(digits.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        if (digits.Length > 1 && digits[0] == '0')
        {
            foreach (char c in digits.AsSpan(1))
            {
                if (c is < '0' or > '7' || value > ulong.MaxValue >> 3)
                    return false;
                value = (value << 3) | (uint)(c - '0');
            }
            return true;
        }
        return ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool BigIntegerSyntax(string digits, bool hex) =>
        hex ? digits.Length > 2 && digits.Skip(2).All(char.IsAsciiHexDigit) : digits.Length > 0 && digits.All(char.IsAsciiDigit);

    /// <summary>A signed 32-bit integer (a slot, where -1 means "any").</summary>
    public int? Int32(string key)
    {
        string? value = Raw(key);
        if (value is null)
            return null;
        if (_jsonKinds is not null)
        {
            if (JsonKind(key) != JsonValueKind.Number)
                throw WrongType(key, "integer");
            return int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int j)
                ? j
                : throw Error($"Parameter '{key}' expects int32_t");
        }
        string trimmed = value.TrimStart(' ', '\t', '\n');
        bool negative = trimmed.StartsWith('-');
        string digits = negative || trimmed.StartsWith('+') ? trimmed[1..] : trimmed;
        if (TryStrtoull(digits, out ulong magnitude) && magnitude <= (negative ? 1UL << 31 : int.MaxValue))
            return negative ? (int)-(long)magnitude : (int)magnitude;
        // qdev's words: a number outside int32 is not an int32_t, anything else not an integer.
        throw Error(TryStrtoull(digits, out _)
            ? $"Parameter '{key}' expects int32_t" : $"Parameter '{key}' expects integer");
    }

    /// <summary>Takes a key without reading it, whatever its type: a property known to change nothing here.</summary>
    public void Ignore(string key) => _taken.Add(key);

    /// <summary>Throws for the first key nobody asked for.</summary>
    public void RejectUnknown(Func<string, string>? describe = null)
    {
        foreach (var pair in _pairs)
            if (!_taken.Contains(pair.Key))
                throw Error(describe?.Invoke(pair.Key)
                    ?? (_jsonKinds is null ? $"Invalid parameter '{pair.Key}'" : $"Parameter '{pair.Key}' is unexpected"));
    }

    public ConfigurationException Error(string message) => new(message, Location);
}
