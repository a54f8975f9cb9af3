using System.Collections.Immutable;

namespace Vnvdimm.Acpi.Aml;

/// <summary>
/// A definition block (ACPI 6.2A 5.2.11), a DSDT or an SSDT: the table header, then AML terms. Its
/// length is known before writing, so the header is written first, like everything else.
/// </summary>
public sealed class AmlDefinitionBlock : IAml
{
    private readonly AcpiTableHeader _header;

    public AmlDefinitionBlock(string signature, byte revision, string tableId, params ImmutableArray<IAml> terms)
    {
        EncodedLength = checked(AcpiTableHeader.Size + AmlTerms.Length(terms));
        Terms = terms;
        _header = new AcpiTableHeader(signature, (uint)EncodedLength, revision, tableId);
    }

    public ImmutableArray<IAml> Terms { get; }

    public int EncodedLength { get; }

    public void WriteTo(IAmlSink sink)
    {
        Span<byte> header = stackalloc byte[AcpiTableHeader.Size];
        _header.WriteTo(header);
        sink.Bytes(header);
        AmlTerms.Write(sink, Terms);
    }
}
