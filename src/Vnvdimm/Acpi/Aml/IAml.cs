using System.Collections.Immutable;

namespace Vnvdimm.Acpi.Aml;

/// <summary>A piece of AML (ACPI 6.2A chapter 20) that writes its own encoding. Immutable.</summary>
public interface IAml
{
    /// <summary>
    /// How many bytes <see cref="WriteTo"/> writes. A block's PkgLength precedes its body, so the body's
    /// length is needed first: objects work it out once, at construction, from their parts'.
    /// </summary>
    int EncodedLength { get; }

    void WriteTo(IAmlSink sink);
}

public static class AmlExtensions
{
    public static byte[] ToAml(this IAml term)
    {
        var writer = new AmlWriter(term.EncodedLength);
        term.WriteTo(writer);
        return writer.ToArray();
    }
}

/// <summary>A list of terms (a block's body, an operator's operands): their total length, and writing them in order.</summary>
internal static class AmlTerms
{
    public static int Length(ImmutableArray<IAml> terms)
    {
        if (terms.IsDefault)
            throw new ArgumentNullException(nameof(terms));
        int length = 0;
        foreach (var term in terms)
            length = checked(length + (term ?? throw new ArgumentNullException(nameof(terms), "An AML term is null")).EncodedLength);
        return length;
    }

    public static void Write(IAmlSink sink, ImmutableArray<IAml> terms)
    {
        foreach (var term in terms)
            term.WriteTo(sink);
    }
}
