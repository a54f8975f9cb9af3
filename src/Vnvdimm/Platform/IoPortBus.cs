namespace Vnvdimm.Platform;

/// <summary>A device on the x86 I/O-port bus. <paramref name="offset"/> is relative to the device's first port.</summary>
public interface IIoPortDevice
{
    uint Read(ushort offset, int size);
    void Write(ushort offset, int size, uint value);
}

/// <summary>Routes port accesses to devices; an unclaimed port reads as all ones, as on real hardware.</summary>
public sealed class IoPortBus
{
    private readonly List<(ushort First, ushort Count, IIoPortDevice Device)> _devices = [];

    public void Register(ushort first, ushort count, IIoPortDevice device)
    {
        foreach (var d in _devices)
            if (first < d.First + d.Count && d.First < first + count)
                throw new InvalidOperationException($"I/O ports 0x{first:x}+{count} already claimed");
        _devices.Add((first, count, device));
    }

    public uint Read(ushort port, int size)
    {
        foreach (var d in _devices)
            if (port >= d.First && port < d.First + d.Count)
                return d.Device.Read((ushort)(port - d.First), size) & Mask(size);
        return Mask(size);
    }

    public void Write(ushort port, int size, uint value)
    {
        foreach (var d in _devices)
            if (port >= d.First && port < d.First + d.Count)
            {
                d.Device.Write((ushort)(port - d.First), size, value & Mask(size));
                return;
            }
    }

    private static uint Mask(int size) => size >= 4 ? uint.MaxValue : (1u << (size * 8)) - 1;
}
