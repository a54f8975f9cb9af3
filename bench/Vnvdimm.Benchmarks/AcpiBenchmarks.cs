using BenchmarkDotNet.Attributes;
using Vnvdimm.Acpi.Nfit;
using Vnvdimm.Acpi.Nvdimm;
using Vnvdimm.Devices;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;
using Vnvdimm.Platform;
using Vnvdimm.Vmm;

namespace Vnvdimm.Benchmarks;

/// <summary>Building the NVDIMM SSDT and the NFIT for the largest machine: 256 slots, all populated.</summary>
[MemoryDiagnoser]
public class AcpiBenchmarks
{
    private const int Slots = 256;
    private IReadOnlyList<NvdimmPlacement> _devices = [];

    [GlobalSetup]
    public void Setup()
    {
        var machine = MachineOptions.Default with { Nvdimm = true };
        var layout = MemoryLayout.Create(machine, new MemoryOptions(1UL << 30, Slots, (1UL << 30) + Slots * (1UL << 30)));
        var planner = new MemoryDevicePlanner(layout, machine, 1, []);
        var backends = new Dictionary<string, BackendDescriptor>();
        for (int i = 0; i < Slots; i++)
        {
            backends[$"m{i}"] = BackendDescriptor.From(new BackendOptions($"m{i}", 1UL << 30, true, $"/m{i}.img"));
            planner.Place(new NvdimmOptions($"n{i}", $"m{i}", 128 << 10, false, Guid.Empty, null, 0, 0, "-device"), backends);
        }
        _devices = planner.Placed;
    }

    [Benchmark]
    public byte[] Ssdt256() => new NvdimmSsdt(Slots).ToBytes();

    [Benchmark]
    public byte[] Ssdt1() => new NvdimmSsdt(1).ToBytes();

    [Benchmark]
    public byte[] Nfit256() => MachineAcpi.BuildNfit(_devices, PersistenceDomain.Cpu).ToBytes();
}
