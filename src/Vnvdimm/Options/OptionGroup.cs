using System.Globalization;

namespace Vnvdimm.Options;

/// <summary>
/// One QemuOpts argument (<c>pc,nvdimm=on</c>): ordered key/value pairs. Consumers take the keys
/// they know; <see cref="RejectUnknown"/> then refuses whatever is left, as QEMU does.
/// </summary>
public sealed class OptionGroup
{
    private readonly List<KeyValuePair<string, string>> _pairs;
    private readonly HashSet<string> _taken = [];

    private OptionGroup(string option, string text, List<KeyValuePair<string, string>> pairs)
    {
        Option = option;
        Text = text;
        _pairs = pairs;
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
                if (first && impliedKey is not null)
                    pairs.Add(new(impliedKey, Unescape(item)));
                else if (item.Length == 0)
                    throw new ConfigurationException("Invalid parameter ''", $"-{option} {text}");
                else
                    // QEMU reads a bare "key" as key=on.
                    pairs.Add(new(item, "on"));
            }
            else
            {
                pairs.Add(new(item[..eq], Unescape(item[(eq + 1)..])));
            }
            first = false;
        }
        return new OptionGroup(option, text, pairs);
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
        _taken.Add(key);
        string? found = null;
        foreach (var pair in _pairs)
            if (pair.Key == key)
                found = pair.Value; // the last occurrence wins, as in QemuOpts
        return found;
    }

    public string RequiredString(string key) =>
        String(key) ?? throw Error($"Parameter '{key}' is missing");

    public bool? Bool(string key)
    {
        string? value = String(key);
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
        string? value = String(key);
        if (value is null)
            return null;
        return SizeParser.TryParse(value, defaultUnit, out var size)
            ? size
            : throw Error($"Parameter '{key}' expects a size value");
    }

    public ulong? Number(string key)
    {
        string? value = String(key);
        if (value is null)
            return null;
        bool ok = value.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var n)
            : ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out n);
        return ok ? n : throw Error($"Parameter '{key}' expects a number");
    }

    /// <summary>Throws for the first key nobody asked for.</summary>
    public void RejectUnknown(Func<string, string>? describe = null)
    {
        foreach (var pair in _pairs)
            if (!_taken.Contains(pair.Key))
                throw Error(describe?.Invoke(pair.Key) ?? $"Invalid parameter '{pair.Key}'");
    }

    public ConfigurationException Error(string message) => new(message, Location);
}
