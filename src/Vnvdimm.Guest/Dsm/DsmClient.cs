using System.Buffers.Binary;
using Vnvdimm.Guest.Transport;

namespace Vnvdimm.Guest.Dsm;

/// <summary>
/// A DSM answer: its len field, the status (or function-0 bitmap) and the payload. When the page holds
/// no valid answer (no DSM device on the machine), <see cref="Raw"/> is the page's first 16 bytes.
/// </summary>
public sealed record DsmReply(byte[] Raw)
{
    public bool Valid => Raw.Length >= 8 && Length == Raw.Length;
    public uint Length => BinaryPrimitives.ReadUInt32LittleEndian(Raw);
    public uint Status => BinaryPrimitives.ReadUInt32LittleEndian(Raw.AsSpan(4));
    public ReadOnlySpan<byte> Payload => Raw.AsSpan(8);
}

/// <summary>
/// Calls NVDIMM DSM functions as the guest's AML does: fill the mailbox page, write its address to
/// port 0x0a18, read the answer back from the same page.
/// </summary>
public sealed class DsmClient(IGuestConnection guest, ulong pageAddress)
{
    public const ushort Port = 0x0a18;
    public const int PageSize = 4096;
    public const uint RootHandle = 0, ReservedRootHandle = 0x10000;

    public ulong PageAddress { get; } = pageAddress;

    public DsmReply Call(uint handle, uint function, ReadOnlySpan<byte> arg3 = default, uint revision = 1)
    {
        var page = new byte[12 + Math.Min(arg3.Length, PageSize - 12)];
        BinaryPrimitives.WriteUInt32LittleEndian(page, handle);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(4), revision);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(8), function);
        arg3[..(page.Length - 12)].CopyTo(page.AsSpan(12));
        return CallRaw(page);
    }

    /// <summary>Sends a page exactly as given (zero-filled to 4 KiB) and returns the answer the device wrote.</summary>
    public DsmReply CallRaw(ReadOnlySpan<byte> request)
    {
        var page = new byte[PageSize];
        request[..Math.Min(request.Length, PageSize)].CopyTo(page);
        guest.WriteMemory(PageAddress, page);
        guest.Out(Port, 4, (uint)PageAddress);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(guest.ReadMemory(PageAddress, 4));
        bool valid = length is >= 8 and <= PageSize;
        return new DsmReply(guest.ReadMemory(PageAddress, valid ? (int)length : 16));
    }

    public uint Functions(uint handle) => Call(handle, 0).Status;

    public (uint Status, uint LabelSize, uint MaxTransfer) LabelSize(uint handle)
    {
        var r = Call(handle, 4);
        return r.Status != 0 || r.Payload.Length < 8 ? (r.Status, 0, 0)
            : (r.Status, BinaryPrimitives.ReadUInt32LittleEndian(r.Payload), BinaryPrimitives.ReadUInt32LittleEndian(r.Payload[4..]));
    }

    public DsmReply GetLabelData(uint handle, uint offset, uint length) => Call(handle, 5, Args(offset, length, []));

    public DsmReply SetLabelData(uint handle, uint offset, ReadOnlySpan<byte> data) => Call(handle, 6, Args(offset, (uint)data.Length, data));

    public DsmReply ReadFit(uint offset) => Call(ReservedRootHandle, 1, Args(offset));

    /// <summary>Reads the whole FIT, restarting when the device reports that it changed meanwhile.</summary>
    public byte[] ReadWholeFit()
    {
        while (true)
        {
            var fit = new List<byte>();
            while (true)
            {
                var r = ReadFit((uint)fit.Count);
                if (r.Status == 0x100)
                    break;
                if (r.Status != 0)
                    throw new InvalidDataException($"Read FIT at {fit.Count} failed with status {r.Status}");
                if (r.Payload.Length == 0)
                    return [.. fit];
                fit.AddRange(r.Payload.ToArray());
            }
        }
    }

    public static byte[] Args(uint offset, uint length, ReadOnlySpan<byte> data)
    {
        var args = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(args, offset);
        BinaryPrimitives.WriteUInt32LittleEndian(args.AsSpan(4), length);
        data.CopyTo(args.AsSpan(8));
        return args;
    }

    public static byte[] Args(uint offset)
    {
        var args = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(args, offset);
        return args;
    }
}
