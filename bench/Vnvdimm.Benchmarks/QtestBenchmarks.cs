using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Vnvdimm.Options;
using Vnvdimm.Qtest;
using Vnvdimm.Vmm;

namespace Vnvdimm.Benchmarks;

/// <summary>
/// The qtest command interpreter in process: the machine's share of every qtest round trip, in guest
/// RAM and in a shared-file NVDIMM (where storage faults are guarded: the file's size checked, writes
/// through the descriptor).
/// </summary>
[MemoryDiagnoser]
public class QtestBenchmarks
{
    private const ulong Nvdimm = 0x100000000;
    private Machine _machine = null!;
    private QtestSession _session = null!;
    private string _folder = "";
    private readonly string _write = "b64write 0x100000 0x1000 " + Convert.ToBase64String(new byte[4096]);
    private readonly string _nvdimmWrite = $"b64write 0x{Nvdimm:x} 0x1000 " + Convert.ToBase64String(new byte[4096]);

    [GlobalSetup]
    public void Setup()
    {
        _folder = Directory.CreateTempSubdirectory("vnvdimm-bench-").FullName;
        _machine = MachineBuilder.Build(CommandLineParser.Parse([
            "-machine", "pc,nvdimm=on", "-m", "64M,slots=1,maxmem=1G",
            "-object", $"memory-backend-file,id=m0,mem-path={Path.Combine(_folder, "nv.img")},size=16M,share=on",
            "-device", "nvdimm,memdev=m0,label-size=128K"]).Configuration, NullLogger.Instance);
        _session = new QtestSession(_machine);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _machine.Dispose();
        Directory.Delete(_folder, true);
    }

    [Benchmark]
    public string NvdimmWriteQ() => _session.Execute($"writeq 0x{Nvdimm:x} 0x1122334455667788");

    [Benchmark]
    public string NvdimmReadQ() => _session.Execute($"readq 0x{Nvdimm:x}");

    [Benchmark]
    public string NvdimmB64Read4K() => _session.Execute($"b64read 0x{Nvdimm:x} 0x1000");

    [Benchmark]
    public string NvdimmB64Write4K() => _session.Execute(_nvdimmWrite);

    [Benchmark]
    public string OutL() => _session.Execute("outl 0x1234 0x1");

    // The server's own path: the line as bytes, the answer into a reused buffer (no strings around it).
    private readonly byte[] _outlLine = "outl 0x80 0x0"u8.ToArray();
    private readonly byte[] _readqLine = System.Text.Encoding.ASCII.GetBytes($"readq 0x{Nvdimm:x}");
    private readonly System.Buffers.ArrayBufferWriter<byte> _answer = new(256);

    [Benchmark]
    public int OutLAsServed()
    {
        _answer.ResetWrittenCount();
        _session.Execute(_outlLine, _answer);
        return _answer.WrittenCount;
    }

    [Benchmark]
    public int NvdimmReadQAsServed()
    {
        _answer.ResetWrittenCount();
        _session.Execute(_readqLine, _answer);
        return _answer.WrittenCount;
    }

    [Benchmark]
    public string B64Read4K() => _session.Execute("b64read 0x100000 0x1000");

    [Benchmark]
    public string B64Write4K() => _session.Execute(_write);
}
