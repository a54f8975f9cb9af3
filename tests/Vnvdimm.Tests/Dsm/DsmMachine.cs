using System.Buffers.Binary;
using Vnvdimm.Options;
using Vnvdimm.Vmm;

namespace Vnvdimm.Tests.Dsm;

/// <summary>A machine with NVDIMMs in this process, and DSM calls through its real port and memory.</summary>
public sealed class DsmMachine : IDisposable
{
    public const ulong Page = 0x100000;
    private readonly Scratch _scratch = new();

    /// <param name="existingFile">A backing file to use instead of a new one in a scratch folder.</param>
    public DsmMachine(string backendExtra = "share=on", string deviceExtra = "label-size=128K", string? existingFile = null)
    {
        BackingFile = existingFile ?? _scratch.File("nv.img");
        Machine = MachineBuilder.Build(CommandLineParser.Parse([
            "-machine", "pc,nvdimm=on", "-m", "64M,slots=2,maxmem=1G",
            "-object", $"memory-backend-file,id=m0,mem-path={BackingFile},size=8M,{backendExtra}",
            "-device", $"nvdimm,id=n0,memdev=m0,{deviceExtra}"]).Configuration, new TestLogger());
    }

    public Machine Machine { get; }
    public string BackingFile { get; }

    public byte[] Call(uint handle, uint function, byte[]? arg3 = null, uint revision = 1, ulong at = Page)
    {
        var page = new byte[4096];
        BinaryPrimitives.WriteUInt32LittleEndian(page, handle);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(4), revision);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(8), function);
        arg3?.CopyTo(page.AsSpan(12));
        return Send(page, at);
    }

    public byte[] Send(byte[] page, ulong at = Page)
    {
        Machine.Memory.Write(at, page);
        Machine.Io.Write(0x0a18, 4, (uint)at);
        var head = new byte[4];
        Machine.Memory.Read(at, head);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(head);
        var answer = new byte[Math.Clamp(length, 4, 4096)];
        Machine.Memory.Read(at, answer);
        return answer;
    }

    public static byte[] Args(uint offset, uint length, params byte[] data)
    {
        var a = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(a, offset);
        BinaryPrimitives.WriteUInt32LittleEndian(a.AsSpan(4), length);
        data.CopyTo(a, 8);
        return a;
    }

    public static uint Len(byte[] answer) => BinaryPrimitives.ReadUInt32LittleEndian(answer);
    public static uint Status(byte[] answer) => BinaryPrimitives.ReadUInt32LittleEndian(answer.AsSpan(4));

    public void Dispose()
    {
        Machine.Dispose();
        _scratch.Dispose();
    }
}
