using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Vnvdimm.Options;
using Vnvdimm.Qtest;
using Vnvdimm.Vmm;

namespace Vnvdimm.Benchmarks;

/// <summary>The qtest command interpreter in process: the machine's share of every qtest round trip.</summary>
[MemoryDiagnoser]
public class QtestBenchmarks
{
    private Machine _machine = null!;
    private QtestSession _session = null!;
    private readonly string _write = "b64write 0x100000 0x1000 " + Convert.ToBase64String(new byte[4096]);

    [GlobalSetup]
    public void Setup()
    {
        _machine = MachineBuilder.Build(CommandLineParser.Parse(["-m", "64M"]).Configuration, NullLogger.Instance);
        _session = new QtestSession(_machine);
    }

    [GlobalCleanup]
    public void Cleanup() => _machine.Dispose();

    [Benchmark]
    public string OutL() => _session.Execute("outl 0x1234 0x1");

    [Benchmark]
    public string B64Read4K() => _session.Execute("b64read 0x100000 0x1000");

    [Benchmark]
    public string B64Write4K() => _session.Execute(_write);
}
