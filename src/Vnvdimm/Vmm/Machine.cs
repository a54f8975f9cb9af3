using Vnvdimm.Devices;
using Vnvdimm.Dsm;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;
using Vnvdimm.Platform;
using Vnvdimm.Platform.FwCfg;

namespace Vnvdimm.Vmm;

/// <summary>
/// A built machine: guest memory, the I/O bus with its devices, and the NVDIMMs. Guest accesses
/// from several clients are serialised on <see cref="SyncRoot"/>, as QEMU serialises them on its main loop.
/// </summary>
public sealed class Machine : IDisposable
{
    private readonly IReadOnlyList<IDisposable> _owned;

    internal Machine(MachineConfiguration configuration, MemoryLayout layout, GuestAddressSpace memory, IoPortBus io,
        FwCfgDevice fwCfg, IReadOnlyList<MemoryBackend> backends, IReadOnlyList<NvdimmDevice> nvdimms, FitBuffer fit, IReadOnlyList<IDisposable> owned)
    {
        Configuration = configuration;
        Layout = layout;
        Memory = memory;
        Io = io;
        FwCfg = fwCfg;
        Backends = backends;
        Nvdimms = nvdimms;
        Fit = fit;
        _owned = owned;
    }

    public MachineConfiguration Configuration { get; }
    public MemoryLayout Layout { get; }
    public GuestAddressSpace Memory { get; }
    public IoPortBus Io { get; }
    public FwCfgDevice FwCfg { get; }
    public IReadOnlyList<MemoryBackend> Backends { get; }
    public IReadOnlyList<NvdimmDevice> Nvdimms { get; }
    public FitBuffer Fit { get; }
    public object SyncRoot { get; } = new();

    public void Dispose()
    {
        foreach (var resource in _owned.Reverse())
            resource.Dispose();
    }
}
