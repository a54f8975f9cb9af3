namespace Vnvdimm.Acpi.Aml;

/// <summary>
/// Where AML goes as it is encoded, as rust-vmm's AmlSink: the table's byte buffer
/// (<see cref="AmlWriter"/>) or its checksum (<see cref="AcpiChecksum"/>), so a table can be summed
/// while it is written instead of in a second pass. Writing only goes forward: every object knows
/// its length before it writes (<see cref="IAml.EncodedLength"/>), so a PkgLength is written ahead of
/// its body, never inserted in front of it afterwards.
/// </summary>
public interface IAmlSink
{
    void Byte(byte value);

    void Bytes(ReadOnlySpan<byte> bytes);
}
