using System.Collections.Immutable;

namespace Vnvdimm.Acpi.Aml;

/// <summary>
/// A block with a term list: opcode, PkgLength, a head (name, predicate, flags), then the terms.
/// Scope, Device, Method, If, Else and While differ only in opcode and head. The terms are given at
/// construction and never change, so the length is known before writing and a container can be
/// shared and reused; it compares by reference.
/// </summary>
public abstract class AmlContainer : IAml
{
    private readonly ushort _opcode;
    private readonly int _bodyLength;

    private protected AmlContainer(ushort opcode, int headLength, ImmutableArray<IAml> terms)
    {
        _bodyLength = checked(headLength + AmlTerms.Length(terms));
        _opcode = opcode;
        Terms = terms;
        EncodedLength = AmlPackageLength.BlockLength(opcode, _bodyLength);
    }

    public ImmutableArray<IAml> Terms { get; }

    public int EncodedLength { get; }

    private protected abstract void WriteHead(IAmlSink sink);

    public void WriteTo(IAmlSink sink)
    {
        AmlPackageLength.WriteBlockHead(sink, _opcode, _bodyLength);
        WriteHead(sink);
        AmlTerms.Write(sink, Terms);
    }
}
