using Vnvdimm.Guest.Nfit;
using Vnvdimm.Guest.Transport;

namespace Vnvdimm.Guest.Namespaces;

/// <summary>A region as a guest reaches it: physical memory at the region's SPA base, through the machine's connection.</summary>
public sealed class GuestRegionMedia(IGuestConnection connection, GuestRegion region) : IRegionMedia
{
    public ulong Size => region.Spa.Length;

    public byte[] Read(ulong offset, int length)
    {
        RegionBounds.Check(Size, offset, (ulong)length);
        return connection.ReadMemory(region.Spa.Base + offset, length);
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        RegionBounds.Check(Size, offset, (ulong)data.Length);
        connection.WriteMemory(region.Spa.Base + offset, data);
    }

    /// <summary>Nothing to do: a store to the region is as durable as the machine makes its backend.</summary>
    public void Flush()
    {
    }
}
