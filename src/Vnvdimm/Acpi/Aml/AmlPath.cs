using System.Buffers;
using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Vnvdimm.Acpi.Aml;

/// <summary>
/// A reference to a named object: a NameString (ACPI 6.2A 20.2.2), such as <c>\_SB.NVDR</c>, <c>^FOO</c>
/// or <c>HDLE</c>: optional root '\' or parent '^' prefixes, then 4-character segments separated by
/// dots, padded with '_'. Declaring a named value, ASL's Name(), is <see cref="AmlNamedValue"/>.
/// A path that AML could not hold is refused at construction.
/// </summary>
public sealed record AmlPath : IAml
{
    public const int SegmentLength = 4;

    // Encoded once, as it is validated: a path is written as often as it is used.
    private readonly ImmutableArray<byte> _encoding;

    public AmlPath(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        int prefixes = PrefixLength(value);
        if (prefixes > 1 && value.AsSpan(0, prefixes).Contains((char)AmlOpcode.RootChar))
            throw new ArgumentException($"AML path '{value}': the root '\\' stands alone, without '^' or a second '\\'", nameof(value));
        var names = value.AsSpan(prefixes);
        int segments = names.IsEmpty ? 0 : names.Count('.') + 1; // none: the NullName, the root or parent scope itself
        if (segments > byte.MaxValue)
            throw new ArgumentException($"AML path '{value}' has {segments} segments; a NameString holds at most 255", nameof(value));
        var encoding = new byte[prefixes + segments switch
        {
            0 => 1,
            1 => SegmentLength,
            2 => 1 + 2 * SegmentLength,
            _ => 2 + segments * SegmentLength,
        }];
        int at = 0;
        foreach (char prefix in value.AsSpan(0, prefixes))
            encoding[at++] = (byte)prefix;
        if (segments == 0)
            encoding[at] = AmlOpcode.NullName;
        else if (segments == 2)
            encoding[at++] = AmlOpcode.DualNamePrefix;
        else if (segments > 2)
        {
            encoding[at++] = AmlOpcode.MultiNamePrefix;
            encoding[at++] = (byte)segments;
        }
        if (segments > 0)
            foreach (var range in names.Split('.'))
            {
                CheckSegment(names[range]);
                EncodeSegment(names[range], encoding.AsSpan(at, SegmentLength));
                at += SegmentLength;
            }
        Value = value;
        _encoding = ImmutableCollectionsMarshal.AsImmutableArray(encoding);
    }

    public string Value { get; }

    public int EncodedLength => _encoding.Length;

    public void WriteTo(IAmlSink sink) => sink.Bytes(_encoding.AsSpan());

    // A path is its string: the encoding follows from it.
    public bool Equals(AmlPath? other) => other is not null && Value == other.Value;

    public override int GetHashCode() => Value.GetHashCode();

    /// <summary>A NameSeg: its characters padded with '_' to four.</summary>
    internal static void WriteSegment(IAmlSink sink, ReadOnlySpan<char> segment)
    {
        Span<byte> encoded = stackalloc byte[SegmentLength];
        EncodeSegment(segment, encoded);
        sink.Bytes(encoded);
    }

    private static void EncodeSegment(ReadOnlySpan<char> segment, Span<byte> destination)
    {
        for (int i = 0; i < SegmentLength; i++)
            destination[i] = i < segment.Length ? (byte)segment[i] : (byte)'_';
    }

    /// <summary>A NameSeg (ACPI 6.2A 20.2.2): 'A'-'Z' or '_' first, then 'A'-'Z', '0'-'9' or '_'; 1 to 4 of them.</summary>
    internal static void CheckSegment(ReadOnlySpan<char> segment)
    {
        if (segment.Length is 0 or > SegmentLength)
            throw new ArgumentException($"AML name segment '{segment}' must have 1 to 4 characters");
        if (!IsLeadChar(segment[0]) || segment[1..].ContainsAnyExcept(NameChars))
            throw new ArgumentException(
                $"AML name segment '{segment}' must start with A-Z or '_' and go on with A-Z, 0-9 or '_'");
    }

    private static readonly SearchValues<char> NameChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

    private static bool IsLeadChar(char c) => c is >= 'A' and <= 'Z' or '_';

    private static int PrefixLength(string path)
    {
        int prefixes = 0;
        while (prefixes < path.Length && path[prefixes] is (char)AmlOpcode.RootChar or (char)AmlOpcode.ParentPrefixChar)
            prefixes++;
        return prefixes;
    }
}
