using Vnvdimm.HostMemory;
using Vnvdimm.Platform;

namespace Vnvdimm.Devices;

/// <summary>
/// An NVDIMM plugged into a memory slot. The guest sees the backend's first <see cref="RegionSize"/>
/// bytes at <see cref="Address"/>; the last <see cref="LabelSize"/> bytes of the backend are the label area.
/// </summary>
public sealed class NvdimmDevice(NvdimmPlacement placement, MemoryBackend backend, bool hotplugged)
{
    /// <summary>The GPE0 status bit QEMU raises for an NVDIMM hotplug; its _E04 handler notifies the NVDIMM root device.</summary>
    public const int HotplugGpeBit = 4;

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
    /// <summary>Starts as the uuid option; QOM may change it at run time, as QEMU allows.</summary>
    public Guid Uuid { get; set; } = placement.Options.Uuid;

    public uint Handle => Placement.Handle;

    /// <summary>Added at run time (device_add) rather than on the command line.</summary>
    public bool Hotplugged { get; } = hotplugged;

    public LabelArea Labels { get; } = new(backend, placement.Options.LabelSize);

    public ulong LabelOffset => Labels.Start;
}
