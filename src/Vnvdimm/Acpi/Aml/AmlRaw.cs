using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Vnvdimm.Acpi.Aml;

/// <summary>Bytes emitted as they are: fixed encodings such as NullName, or terms encoded once ahead.</summary>
public sealed class AmlRaw : IAml
{
    private readonly ImmutableArray<byte> _bytes;

    public AmlRaw(params ReadOnlySpan<byte> bytes) => _bytes = [.. bytes];

    private AmlRaw(ImmutableArray<byte> bytes) => _bytes = bytes;

    public int EncodedLength => _bytes.Length;

    /// <summary>The encoding of <paramref name="terms"/>, computed now; for terms reused many times unchanged.</summary>
    public static AmlRaw Encode(params ReadOnlySpan<IAml> terms)
    {
        int length = 0;
        foreach (var term in terms)
            length = checked(length + term.EncodedLength);
        var writer = new AmlWriter(length);
        foreach (var term in terms)
            term.WriteTo(writer);
        return new AmlRaw(ImmutableCollectionsMarshal.AsImmutableArray(writer.ToArray()));
    }

    public void WriteTo(IAmlSink sink) => sink.Bytes(_bytes.AsSpan());
}
