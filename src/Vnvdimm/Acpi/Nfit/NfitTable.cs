namespace Vnvdimm.Acpi.Nfit;

/// <summary>
/// The NVDIMM Firmware Interface Table. Its structures without header are also the FIT that the
/// guest reads through the Read FIT DSM.
/// </summary>
public sealed class NfitTable(IReadOnlyList<INfitStructure> structures) : IAcpiTable
{
    public string Signature => "NFIT";

    public IReadOnlyList<INfitStructure> Structures { get; } = structures;

    public byte[] FitBytes()
    {
        var fit = new byte[Structures.Sum(s => s.Length)];
        int offset = 0;
        foreach (var s in Structures)
        {
            s.WriteTo(fit.AsSpan(offset, s.Length));
            offset += s.Length;
        }
        return fit;
    }

    public byte[] ToBytes()
    {
        byte[] fit = FitBytes();
        // 4 reserved bytes precede the structures.
        return AcpiTableHeader.Build(Signature, 1, 4 + fit.Length, body => fit.CopyTo(body[4..]));
    }
}
