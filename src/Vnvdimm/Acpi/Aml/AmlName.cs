using System.Text;

namespace Vnvdimm.Acpi.Aml;

/// <summary>
/// A NameString (ACPI 6.2A 20.2.2): optional root '\' or parent '^' prefixes, then 4-character
/// segments separated by dots, padded with '_'. Referring to a name is just its NameString.
/// </summary>
public sealed record AmlName(string Path) : IAml
{
    public const byte DualNamePrefix = 0x2e, MultiNamePrefix = 0x2f, NullName = 0x00;

    public void AppendTo(List<byte> aml)
    {
        int at = 0;
        while (at < Path.Length && Path[at] is '\\' or '^')
            aml.Add((byte)Path[at++]);
        string rest = Path[at..];
        if (rest.Length == 0)
        {
            aml.Add(NullName);
            return;
        }
        string[] segments = rest.Split('.');
        if (segments.Length == 2)
            aml.Add(DualNamePrefix);
        else if (segments.Length > 2)
        {
            aml.Add(MultiNamePrefix);
            aml.Add((byte)segments.Length);
        }
        foreach (string segment in segments)
            AppendSegment(aml, segment);
    }

    public static void AppendSegment(List<byte> aml, string segment)
    {
        if (segment.Length is 0 or > 4)
            throw new ArgumentException($"AML name segment '{segment}' must have 1 to 4 characters");
        aml.AddRange(Encoding.ASCII.GetBytes(segment.PadRight(4, '_')));
    }
}
