namespace Vnvdimm.Acpi.Aml;

/// <summary>
/// A reference to a named object: a NameString (ACPI 6.2A 20.2.2), such as <c>\_SB.NVDR</c>, <c>^FOO</c>
/// or <c>HDLE</c>: optional root '\' or parent '^' prefixes, then 4-character segments separated by
/// dots, padded with '_'. Declaring a named value, ASL's Name(), is <see cref="AmlNamedValue"/>.
/// </summary>
public sealed record AmlPath(string Value) : IAml
{
    public void AppendTo(AmlWriter aml) => Append(aml, Value);

    /// <summary>Encodes a NameString without making an <see cref="AmlPath"/> for it.</summary>
    public static void Append(AmlWriter aml, ReadOnlySpan<char> path)
    {
        while (!path.IsEmpty && path[0] is (char)AmlOpcode.RootChar or (char)AmlOpcode.ParentPrefixChar)
        {
            aml.Add((byte)path[0]);
            path = path[1..];
        }
        if (path.IsEmpty)
        {
            aml.Add(AmlOpcode.NullName);
            return;
        }
        int segments = path.Count('.') + 1;
        if (segments == 2)
            aml.Add(AmlOpcode.DualNamePrefix);
        else if (segments > 2)
        {
            aml.Add(AmlOpcode.MultiNamePrefix);
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
