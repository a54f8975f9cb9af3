namespace Vnvdimm.Guest.Labels;

/// <summary>Where a label area lives: a DIMM reached through its DSM, or the tail of a backing file.</summary>
public interface ILabelStorage
{
    uint Size { get; }

    byte[] Read(uint offset, uint length);

    /// <summary>Writes and returns once the bytes are durable (the device's answer, or fsync).</summary>
    void Write(uint offset, ReadOnlySpan<byte> data);
}
