using Vnvdimm.HostMemory;

namespace Vnvdimm.Devices;

/// <summary>
/// An NVDIMM's namespace-label area: the last <paramref name="size"/> bytes of its backend. Callers
/// check ranges; this class refuses anything outside the area all the same.
/// </summary>
public sealed class LabelArea(MemoryBackend backend, ulong size)
{
    public ulong Size { get; } = size;

    /// <summary>Where the area starts in the backend.</summary>
    public ulong Start { get; } = backend.Size - size;

    public bool Writable => backend.Durability != WriteDurability.ReadOnly;

    public void Read(uint offset, Span<byte> destination)
    {
        Check(offset, destination.Length);
        backend.Mapping.Read(Start + offset, destination);
    }

    /// <summary>Writes and returns once the data is as durable as the backend allows.</summary>
    public void Write(uint offset, ReadOnlySpan<byte> data)
    {
        Check(offset, data.Length);
        backend.Writes.Write(Start + offset, data);
    }

    private void Check(uint at, int length)
    {
        if ((ulong)at + (ulong)length > Size)
            throw new ArgumentOutOfRangeException(nameof(at), $"[0x{at:x}+0x{length:x}] outside a label area of 0x{Size:x} bytes");
    }
}
