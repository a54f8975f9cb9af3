using Vnvdimm.HostMemory;
using Vnvdimm.Platform;

namespace Vnvdimm.Devices;

/// <summary>
/// An NVDIMM plugged into a memory slot. The guest sees the backend's first <see cref="RegionSize"/>
/// bytes at <see cref="Address"/>; the last <see cref="LabelSize"/> bytes of the backend are the label area.
/// </summary>
public sealed class NvdimmDevice(NvdimmPlacement placement, MemoryBackend backend)
{
    public NvdimmPlacement Placement { get; } = placement;
    public MemoryBackend Backend { get; } = backend;

    public string? Id => Placement.Options.Id;
    public int Slot => Placement.Slot;
    public ulong Address => Placement.Range.Base;
    public ulong RegionSize => Placement.Range.Size;
    public GuestRange Range => Placement.Range;
    public ulong LabelSize => Placement.Options.LabelSize;
    public bool Unarmed => Placement.Options.Unarmed;
    public uint Node => Placement.Options.Node;
    public Guid Uuid => Placement.Options.Uuid;

    public uint Handle => Placement.Handle;

    public LabelArea Labels { get; } = new(backend, placement.Options.LabelSize);

    public ulong LabelOffset => Labels.Start;
}
