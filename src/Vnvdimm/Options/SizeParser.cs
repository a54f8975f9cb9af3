using System.Globalization;

namespace Vnvdimm.Options;

/// <summary>QEMU's size syntax: an integer or decimal with an optional binary suffix (B K M G T P E).</summary>
public static class SizeParser
{
    public static bool TryParse(string text, ulong defaultUnit, out ulong value)
    {
        value = 0;
        // As qemu_strtosz: leading blanks and a '+' pass (strtoull's habit), a minus sign does not.
        text = text.TrimStart(' ', '\t', '\n');
        if (text.StartsWith('+'))
            text = text[1..];
        if (text.Length == 0 || !char.IsAsciiDigit(text[0]))
            return false;

        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            // Hex, with a unit suffix still accepted (deprecated in QEMU 7.2, which warns).
            int hexEnd = 2;
            while (hexEnd < text.Length && char.IsAsciiHexDigit(text[hexEnd]))
                hexEnd++;
            if (!ulong.TryParse(text.AsSpan(2, hexEnd - 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong hex))
                return false;
            if (hexEnd == text.Length)
            {
                value = hex;
                return true;
            }
            int hexShift = hexEnd == text.Length - 1 ? Shift(text[hexEnd]) : -1;
            if (hexShift < 0 || (hexShift > 0 && hex > ulong.MaxValue >> hexShift))
                return false;
            value = hex << hexShift;
            return true;
        }

        int end = 0;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.'))
            end++;
        if (!decimal.TryParse(text.AsSpan(0, end), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            return false;

        ulong unit = defaultUnit;
        if (end < text.Length)
        {
            if (end != text.Length - 1)
                return false;
            int shift = Shift(text[end]);
            if (shift < 0)
                return false;
            unit = 1UL << shift;
        }
        else if (number != decimal.Truncate(number) && unit == 1)
        {
            return false; // a fraction of a byte
        }

        if (number > (decimal)ulong.MaxValue / unit) // before multiplying: decimal itself overflows past 2^96
            return false;
        decimal scaled = number * unit;
        if (scaled > ulong.MaxValue)
            return false;
        value = (ulong)decimal.Truncate(scaled);
        return true;
    }

    private static int Shift(char suffix) => char.ToUpperInvariant(suffix) switch
    {
        'B' => 0, 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, 'P' => 50, 'E' => 60,
        _ => -1,
    };

    /// <summary>Well-formed but beyond 2^64 - 1: QEMU says "out of range" rather than "expects".</summary>
    public static bool IsOutOfRange(string text) =>
        !TryParse(text, 1, out _) && System.Text.RegularExpressions.Regex.IsMatch(
            text.Trim(), "^(0[xX][0-9a-fA-F]+[bBkKmMgGtTpPeE]?|[0-9]+[bBkKmMgGtTpPeE]?|[0-9]+\\.[0-9]+[bBkKmMgGtTpPeE])$");

    public static ulong Parse(string text, ulong defaultUnit = 1) =>
        TryParse(text, defaultUnit, out var value) ? value : throw new FormatException($"'{text}' is not a size");
}
