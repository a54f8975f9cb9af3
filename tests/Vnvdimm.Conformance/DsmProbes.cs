using System.Buffers.Binary;
using Vnvdimm.Guest.Dsm;

namespace Vnvdimm.Conformance;

/// <summary>
/// The DSM probe list. It is generated against the oracle (label sizes and FIT length come from
/// its answers) and the very same request pages are then replayed against vnvdimm.
/// </summary>
public sealed class DsmProbes(DsmClient client)
{
    public sealed record Probe(string Name, byte[] Request, byte[] Answer);

    /// <summary>Names of Read FIT probes; those of the sequential read from offset 0 start with <see cref="FitSequence"/>.</summary>
    public const string FitChunk = "read fit", FitSequence = "read fit sequence";

    private readonly List<Probe> _log = [];

    public IReadOnlyList<Probe> Log => _log;

    public static byte[] Page(uint handle, uint function, ReadOnlySpan<byte> arg3, uint revision = 1)
    {
        var page = new byte[12 + arg3.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(page, handle);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(4), revision);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(8), function);
        arg3.CopyTo(page.AsSpan(12));
        return page;
    }

    private DsmReply Send(string name, byte[] request)
    {
        var reply = client.CallRaw(request);
        _log.Add(new Probe(name, request, reply.Raw));
        return reply;
    }

    private static byte[] Pattern(int length, int seed) => [.. Enumerable.Range(0, length).Select(i => (byte)(i * 31 + seed))];

    public void Run(IReadOnlySet<uint> readOnlyHandles)
    {
        foreach (uint fn in new uint[] { 0, 1, 7 })
            Send($"root fn{fn}", Page(0, fn, []));
        Send("reserved fn0", Page(DsmClient.ReservedRootHandle, 0, []));
        Send("reserved fn2", Page(DsmClient.ReservedRootHandle, 2, []));
        Send("revision 0", Page(1, 0, [], revision: 0));
        Send("revision 2", Page(1, 4, [], revision: 2));
        Send("revision 2 reserved", Page(DsmClient.ReservedRootHandle, 1, DsmClient.Args(0), revision: 2));

        uint fitLength = 0;
        for (uint offset = 0; ; offset += 4088)
        {
            var r = Send($"{FitSequence} {offset}", Page(DsmClient.ReservedRootHandle, 1, DsmClient.Args(offset)));
            fitLength += (uint)r.Payload.Length;
            if (!r.Valid || r.Status != 0 || r.Payload.Length < 4088)
                break;
        }
        foreach (uint offset in new[] { 8u, fitLength, fitLength + 1, fitLength == 0 ? 1 : fitLength - 1, 0xffffffff })
            Send($"{FitChunk} at {offset}", Page(DsmClient.ReservedRootHandle, 1, DsmClient.Args(offset)));

        foreach (uint handle in new uint[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x12345, 0xffffffff })
            ProbeDevice(handle, readOnlyHandles.Contains(handle));
    }

    private void ProbeDevice(uint handle, bool readOnly)
    {
        Send($"h{handle} fn0", Page(handle, 0, []));
        var size = Send($"h{handle} label size", Page(handle, 4, []));
        foreach (uint fn in new uint[] { 2, 3, 7, 8, 31, 32, 0xffffffff })
            Send($"h{handle} fn{fn}", Page(handle, fn, DsmClient.Args(0, 16, [])));
        if (!size.Valid || size.Status != 0)
        {
            Send($"h{handle} get without labels", Page(handle, 5, DsmClient.Args(0, 16, [])));
            Send($"h{handle} set without labels", Page(handle, 6, DsmClient.Args(0, 1, [1])));
            return;
        }
        uint l = BinaryPrimitives.ReadUInt32LittleEndian(size.Payload);
        uint max = BinaryPrimitives.ReadUInt32LittleEndian(size.Payload[4..]);

        void Get(string what, uint offset, uint length) => Send($"h{handle} get {what}", Page(handle, 5, DsmClient.Args(offset, length, [])));
        void Set(string what, uint offset, uint length, byte[] data) =>
            Send($"h{handle} set {what}", Page(handle, 6, DsmClient.Args(offset, length, data)));

        Get("first 16", 0, 16);
        Get("last byte", l - 1, 1);
        Get("max", 0, max);
        Get("max+1", 0, max + 1);
        Get("max at end", l - max, max);
        Get("beyond", l, 1);
        Get("straddling end", l - 1, 2);
        Get("overflow", 0xffffff00, 0x200);
        Get("overflow 2", 0xfffffff0, 0x20);
        Get("huge", 0, 0xffffffff);
        if (readOnly)
            return;
        Set("100 at 64", 64, 100, Pattern(100, 1));
        Get("100 at 64", 64, 100);
        Set("last byte", l - 1, 1, [0x5a]);
        Get("last byte again", l - 1, 1);
        Set("max at end", l - max, max, Pattern((int)max, 7));
        Get("max at end again", l - max, max);
        Set("max+1", 0, max + 1, Pattern((int)max, 9));
        Set("beyond", l, 1, [1]);
        Set("straddling end", l - 1, 2, [1, 2]);
        Set("overflow", 0xffffff00, 0x200, Pattern(16, 3));
        Set("short data", 256, 64, Pattern(8, 5)); // the rest of the page is zeros: both write zeros
        Get("short data", 256, 64);
    }
}
