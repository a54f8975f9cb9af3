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

    /// <summary>The option name without dash, e.g. "device".</summary>
    public string Option { get; }

    /// <summary>The argument as the user typed it.</summary>
    public string Text { get; }

    /// <summary>"-device nvdimm,memdev=m0": the prefix QEMU puts before an error about this argument.</summary>
    public string Location => $"-{Option} {Text}";

    /// <summary>Parses <paramref name="text"/>; a first item without '=' is the value of <paramref name="impliedKey"/>.</summary>
    public static OptionGroup Parse(string option, string text, string? impliedKey)
    {
        if (text.StartsWith('{') && JsonOptions.Contains(option))
            return ParseJson(option, text);
        var pairs = new List<KeyValuePair<string, string>>();
        int i = 0;
        bool first = true;
        while (i <= text.Length)
        {
            string item = ReadItem(text, ref i);
            if (item.Length == 0 && i > text.Length)
                break;
            int eq = item.IndexOf('=');
            if (eq < 0)
            {
                if (first && impliedKey is not null && !(item.Length == 0 && KeyvalOptions.Contains(option)))
                    pairs.Add(new(impliedKey, Unescape(item)));
                else if (item.Length == 0)
                    throw new ConfigurationException("Invalid parameter ''", $"-{option} {text}");
                else if (KeyvalOptions.Contains(option))
                    throw new ConfigurationException($"Expected '=' after parameter '{item}'", $"-{option} {text}");
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
        return new OptionGroup(option, text, pairs);
    }

    private static OptionGroup ParseJson(string option, string text)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        var kinds = new Dictionary<string, JsonValueKind>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(text);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var value = property.Value;
                pairs.Add(new(property.Name, value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()));
                kinds[property.Name] = value.ValueKind;
            }
        }
        catch (JsonException e)
        {
            // QEMU's wording for the commonest case, a cut-off argument; otherwise the parser's own reason.
            bool truncated = e.BytePositionInLine >= System.Text.Encoding.UTF8.GetByteCount(text);
            throw new ConfigurationException(truncated ? "JSON parse error, premature EOI" : $"JSON parse error, {e.Message.Split(". Path:")[0]}", $"-{option} {text}");
        }
        return new OptionGroup(option, text, pairs, kinds);
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

    public string RequiredString(string key) =>
        String(key) ?? throw Error($"Parameter '{key}' is missing");

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
            return JsonInteger(key, value) ?? throw WrongType(key, "integer");
        // strtoull's rules, as QEMU uses them: 0x for hex, and a minus sign wraps ("-1" is 2^64 - 1).
        bool negative = value.StartsWith('-');
        string digits = negative ? value[1..] : value;
        bool hex = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        var styles = hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None;
        if (ulong.TryParse(hex ? digits.AsSpan(2) : digits, styles, CultureInfo.InvariantCulture, out ulong n))
            return negative ? unchecked(0 - n) : n;
        bool tooLarge = BigIntegerSyntax(digits, hex);
        throw Option switch
        {
            "device" => Error($"Parameter '{key}' expects integer"),
            _ when tooLarge => Error($"Value '{value}' is too large for parameter '{key}'"),
            _ => Error($"Parameter '{key}' expects a number"),
        };
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
            return JsonKind(key) == JsonValueKind.Number && int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int j)
                ? j : throw WrongType(key, "integer");
        if (int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n))
            return n;
        if (value.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && int.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out n) && n >= 0)
            return n;
        // qdev's words: a number outside int32 is not an int32_t, anything else not an integer.
        throw Error(long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
            ? $"Parameter '{key}' expects int32_t" : $"Parameter '{key}' expects integer");
    }

    /// <summary>Takes a key without reading it, whatever its type: a property known to change nothing here.</summary>
    public void Ignore(string key) => _taken.Add(key);

    /// <summary>Throws for the first key nobody asked for.</summary>
    public void RejectUnknown(Func<string, string>? describe = null)
    {
        foreach (var pair in _pairs)
            if (!_taken.Contains(pair.Key))
                throw Error(describe?.Invoke(pair.Key) ?? (_jsonKinds is null ? $"Invalid parameter '{pair.Key}'" : $"Parameter '{pair.Key}' is unexpected"));
    }

    public ConfigurationException Error(string message) => new(message, Location);
}
