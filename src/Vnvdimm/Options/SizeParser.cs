using System.Globalization;

namespace Vnvdimm.Options;

/// <summary>QEMU's size syntax: an integer or decimal with an optional binary suffix (B K M G T P E).</summary>
public static class SizeParser
{
    public static bool TryParse(string text, ulong defaultUnit, out ulong value)
    {
        value = 0;
        if (string.IsNullOrEmpty(text) || text[0] == '-' || char.IsWhiteSpace(text[0]))
            return false;

        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);

        int end = 0;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.'))
            end++;
        if (end == 0)
            return false;
        if (!decimal.TryParse(text.AsSpan(0, end), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            return false;

        ulong unit = defaultUnit;
        if (end < text.Length)
        {
            if (end != text.Length - 1)
                return false;
            int shift = char.ToUpperInvariant(text[end]) switch
            {
                'B' => 0, 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, 'P' => 50, 'E' => 60,
                _ => -1,
            };
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

    /// <summary>Well-formed but beyond 2^64 - 1: QEMU says "out of range" rather than "expects".</summary>
    public static bool IsOutOfRange(string text) =>
        !TryParse(text, 1, out _) && System.Text.RegularExpressions.Regex.IsMatch(text, "^(0[xX][0-9a-fA-F]+|[0-9]+(\\.[0-9]+)?[bBkKmMgGtTpPeE]?)$");

    public static ulong Parse(string text, ulong defaultUnit = 1) =>
        TryParse(text, defaultUnit, out var value) ? value : throw new FormatException($"'{text}' is not a size");
}
