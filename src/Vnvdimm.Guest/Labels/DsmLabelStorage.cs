using Vnvdimm.Guest.Dsm;

namespace Vnvdimm.Guest.Labels;

/// <summary>A DIMM's label area through its DSM functions 4, 5 and 6, in chunks of the maximum transfer it reports.</summary>
public sealed class DsmLabelStorage : ILabelStorage
{
    private readonly DsmClient _dsm;
    private readonly uint _handle;
    private readonly uint _maxTransfer;

    public DsmLabelStorage(DsmClient dsm, uint handle)
    {
        _dsm = dsm;
        _handle = handle;
        var (status, size, maxTransfer) = dsm.LabelSize(handle);
        if (status != 0 || maxTransfer == 0)
            throw new IOException($"DIMM 0x{handle:x} has no label area (Get Namespace Label Size status {status})");
        Size = size;
        _maxTransfer = maxTransfer;
    }

    public uint Size { get; }

    public byte[] Read(uint offset, uint length)
    {
        var data = new byte[length];
        for (uint done = 0; done < length;)
        {
            uint chunk = Math.Min(_maxTransfer, length - done);
            var reply = _dsm.GetLabelData(_handle, offset + done, chunk);
            if (reply.Status != 0 || reply.Payload.Length != chunk)
                throw new IOException($"Get Namespace Label Data at {offset + done} failed with status {reply.Status}");
            reply.Payload.CopyTo(data.AsSpan((int)done));
            done += chunk;
        }
        return data;
    }

    public void Write(uint offset, ReadOnlySpan<byte> data)
    {
        for (int done = 0; done < data.Length;)
        {
            int chunk = (int)Math.Min(_maxTransfer, (uint)(data.Length - done));
            var reply = _dsm.SetLabelData(_handle, offset + (uint)done, data.Slice(done, chunk));
            if (reply.Status != 0)
                throw new IOException($"Set Namespace Label Data at {offset + done} failed with status {reply.Status}");
            done += chunk;
        }
    }
}
