using Vnvdimm.Platform;

namespace Vnvdimm.Dsm;

/// <summary>
/// The DSM doorbell: a 32-bit write of a guest-physical address to <see cref="DsmLayout.IoPort"/>. The
/// page is copied out of guest memory first, so a guest changing it meanwhile cannot race the checks;
/// the answer is written back to the same address. Narrower accesses are ignored and reads return 0, as in QEMU.
/// </summary>
public sealed class DsmPort(GuestAddressSpace memory, DsmDispatcher dispatcher) : IIoPortDevice
{
    public uint Read(ushort offset, int size) => 0;

    public void Write(ushort offset, int size, uint value)
    {
        if (offset != 0 || size != 4)
            return;
        Span<byte> page = stackalloc byte[DsmLayout.PageSize];
        memory.Read(value, page);
        var answer = dispatcher.Execute(page);
        Span<byte> output = page[..answer.Length];
        answer.WriteTo(output);
        memory.Write(value, output);
    }
}
