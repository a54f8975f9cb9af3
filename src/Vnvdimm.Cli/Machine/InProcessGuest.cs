using Vnvdimm.Guest.Transport;

namespace Vnvdimm.Cli.Machine;

/// <summary>The guest toolkit's view of a machine in this process: no protocol, the same semantics as qtest.</summary>
public sealed class InProcessGuest(Vmm.Machine machine) : IGuestConnection
{
    public void Out(ushort port, int size, uint value)
    {
        using (machine.Enter())
            machine.Io.Write(port, size, value);
    }

    public uint In(ushort port, int size)
    {
        using (machine.Enter())
            return machine.Io.Read(port, size);
    }

    public byte[] ReadMemory(ulong address, int length)
    {
        var data = new byte[length];
        using (machine.Enter())
            machine.Memory.Read(address, data);
        return data;
    }

    public void WriteMemory(ulong address, ReadOnlySpan<byte> data)
    {
        using (machine.Enter())
            machine.Memory.Write(address, data);
    }
}
