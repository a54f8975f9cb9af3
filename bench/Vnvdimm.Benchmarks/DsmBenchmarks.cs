using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Vnvdimm.Dsm;
using Vnvdimm.Options;
using Vnvdimm.Vmm;

namespace Vnvdimm.Benchmarks;

/// <summary>
/// The DSM mailbox in process, through the real port and guest memory: label size, a 4 KiB label
/// read, and a 4 KiB label write to a shared file (durable: msync) and to a private mapping (no flush).
/// </summary>
[MemoryDiagnoser]
public class DsmBenchmarks
{
    private const ulong Page = 0x100000;
    private string _folder = "";
    private Machine _shared = null!, _private = null!;
    private readonly byte[] _labelSize = Request(4, 0, 0), _get = Request(5, 0, DsmLayout.MaxLabelTransfer), _set = Request(6, 0, DsmLayout.MaxLabelTransfer);

    private static byte[] Request(uint function, uint offset, uint length)
    {
        var page = new byte[DsmLayout.PageSize];
        BinaryPrimitives.WriteUInt32LittleEndian(page, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(8), function);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(12), offset);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(16), length);
        return page;
    }

    private Machine Build(string share) => MachineBuilder.Build(CommandLineParser.Parse([
        "-machine", "pc,nvdimm=on", "-m", "64M,slots=1,maxmem=1G",
        "-object", $"memory-backend-file,id=m0,mem-path={Path.Combine(_folder, share + ".img")},size=16M,share={share}",
        "-device", "nvdimm,memdev=m0,label-size=128K"]).Configuration, NullLogger.Instance);

    [GlobalSetup]
    public void Setup()
    {
        _folder = Directory.CreateTempSubdirectory("vnvdimm-bench-").FullName;
        _shared = Build("on");
        _private = Build("off");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _shared.Dispose();
        _private.Dispose();
        Directory.Delete(_folder, true);
    }

    private static void Call(Machine machine, byte[] request)
    {
        machine.Memory.Write(Page, request);
        machine.Io.Write(DsmLayout.IoPort, 4, (uint)Page);
    }

    [Benchmark]
    public void GetLabelSize() => Call(_shared, _labelSize);

    [Benchmark]
    public void GetLabelData4K() => Call(_shared, _get);

    [Benchmark]
    public void SetLabelData4KDurable() => Call(_shared, _set);

    [Benchmark]
    public void SetLabelData4KPrivate() => Call(_private, _set);
}
