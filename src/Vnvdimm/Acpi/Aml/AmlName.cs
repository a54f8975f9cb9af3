namespace Vnvdimm.Acpi.Aml;

/// <summary>
/// A NameString (ACPI 6.2A 20.2.2): optional root '\' or parent '^' prefixes, then 4-character
/// segments separated by dots, padded with '_'. Referring to a name is just its NameString.
/// </summary>
public sealed record AmlName(string Path) : IAml
{
    public const byte DualNamePrefix = 0x2e, MultiNamePrefix = 0x2f, NullName = 0x00;

    public void AppendTo(AmlWriter aml) => Append(aml, Path);

    /// <summary>Encodes a NameString without making an <see cref="AmlName"/> for it.</summary>
    public static void Append(AmlWriter aml, ReadOnlySpan<char> path)
    {
        while (!path.IsEmpty && path[0] is '\\' or '^')
        {
            aml.Add((byte)path[0]);
            path = path[1..];
        }
        if (path.IsEmpty)
        {
            aml.Add(NullName);
            return;
        }
        int segments = path.Count('.') + 1;
        if (segments == 2)
            aml.Add(DualNamePrefix);
        else if (segments > 2)
        {
            aml.Add(MultiNamePrefix);
            aml.Add((byte)segments);
        }
        foreach (var range in path.Split('.'))
            AppendSegment(aml, path[range]);
    }

    public static void AppendSegment(AmlWriter aml, ReadOnlySpan<char> segment)
    {
        if (segment.Length is 0 or > 4)
            throw new ArgumentException($"AML name segment '{segment}' must have 1 to 4 characters");
        for (int i = 0; i < 4; i++)
            aml.Add(i < segment.Length ? (byte)segment[i] : (byte)'_');
    }
}
