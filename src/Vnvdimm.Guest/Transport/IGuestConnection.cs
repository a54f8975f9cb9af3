namespace Vnvdimm.Guest.Transport;

/// <summary>What a guest can do to its machine: port I/O and physical-memory access.</summary>
public interface IGuestConnection
{
    void Out(ushort port, int size, uint value);
    uint In(ushort port, int size);
    byte[] ReadMemory(ulong address, int length);
    void WriteMemory(ulong address, ReadOnlySpan<byte> data);
}
