using Vnvdimm.Guest.Transport;

namespace Vnvdimm.Cli.Machine;

/// <summary>The guest toolkit's view of a machine in this process: no protocol, the same semantics as qtest.</summary>
public sealed class InProcessGuest(Vmm.Machine machine) : IGuestConnection
{
    public void Out(ushort port, int size, uint value)
    {
        lock (machine.SyncRoot)
            machine.Io.Write(port, size, value);
    }

    public uint In(ushort port, int size)
    {
        lock (machine.SyncRoot)
            return machine.Io.Read(port, size);
    }

    public byte[] ReadMemory(ulong address, int length)
    {
        var data = new byte[length];
        lock (machine.SyncRoot)
            machine.Memory.Read(address, data);
        return data;
    }

    public void WriteMemory(ulong address, ReadOnlySpan<byte> data)
    {
        lock (machine.SyncRoot)
            machine.Memory.Write(address, data);
    }
}
