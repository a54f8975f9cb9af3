using System.Buffers.Binary;
using Vnvdimm.Devices;

namespace Vnvdimm.Dsm;

/// <summary>
/// Executes one DSM request page. Every field comes from the guest: each offset and length is
/// checked in 64-bit arithmetic before any access, and the answer never exceeds the page.
/// </summary>
public sealed class DsmDispatcher(Func<uint, NvdimmDevice?> deviceByHandle, FitBuffer fit)
{
    private const uint RootFunctions = 0;
    private const uint ReservedRootFunctions = 1 << 0 | 1 << 1;
    private const uint LabelFunctions = 1 << 0 | 1 << 4 | 1 << 5 | 1 << 6;

    public DsmAnswer Execute(ReadOnlySpan<byte> page)
    {
        uint handle = BinaryPrimitives.ReadUInt32LittleEndian(page[DsmLayout.HandleOffset..]);
        uint revision = BinaryPrimitives.ReadUInt32LittleEndian(page[DsmLayout.RevisionOffset..]);
        uint function = BinaryPrimitives.ReadUInt32LittleEndian(page[DsmLayout.FunctionOffset..]);
        var arg3 = page[DsmLayout.Arg3Offset..];

        if (revision != DsmLayout.Revision)
            return DsmAnswer.Status(DsmStatus.NotSupported);
        return handle switch
        {
            DsmLayout.ReservedRootHandle => function switch
            {
                DsmFunction.Query => Supported(ReservedRootFunctions),
                DsmFunction.ReadFit => fit.Read(U32(arg3, 0)),
                _ => DsmAnswer.Status(DsmStatus.NotSupported),
            },
            DsmLayout.RootHandle => function == DsmFunction.Query ? Supported(RootFunctions) : DsmAnswer.Status(DsmStatus.NotSupported),
            _ => Device(deviceByHandle(handle), function, arg3),
        };
    }

    private static DsmAnswer Device(NvdimmDevice? device, uint function, ReadOnlySpan<byte> arg3)
    {
        bool labels = device is not null && device.LabelSize > 0;
        if (function == DsmFunction.Query)
            return Supported(labels ? LabelFunctions : 0);
        if (device is null)
            return DsmAnswer.Status(DsmStatus.NoSuchDevice);
        if (!labels)
            return DsmAnswer.Status(DsmStatus.NotSupported);
        return function switch
        {
            DsmFunction.GetLabelSize => LabelSize(device),
            DsmFunction.GetLabelData => GetLabelData(device, U32(arg3, 0), U32(arg3, 4)),
            DsmFunction.SetLabelData => SetLabelData(device, U32(arg3, 0), U32(arg3, 4), arg3[8..]),
            _ => DsmAnswer.Status(DsmStatus.NotSupported),
        };
    }

    private static DsmAnswer Supported(uint bitmap) => DsmAnswer.Status(bitmap);

    private static DsmAnswer LabelSize(NvdimmDevice device)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, (uint)device.LabelSize);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(4), DsmLayout.MaxLabelTransfer);
        return new DsmAnswer(DsmStatus.Success, payload);
    }

    /// <summary>QEMU's checks, in 64 bits so that offset + length cannot wrap.</summary>
    private static bool InvalidRange(NvdimmDevice device, uint offset, uint length) =>
        (ulong)offset + length > uint.MaxValue
        || (ulong)offset + length > device.LabelSize
        || length > DsmLayout.MaxLabelTransfer;

    private static DsmAnswer GetLabelData(NvdimmDevice device, uint offset, uint length)
    {
        if (InvalidRange(device, offset, length))
            return DsmAnswer.Status(DsmStatus.InvalidInput);
        // Length 0 (QEMU aborts on an assertion here): success with no data.
        var data = new byte[length];
        try
        {
            device.Labels.Read(offset, data);
        }
        catch (HostMemory.StorageFault)
        {
            return DsmAnswer.Status(DsmStatus.HardwareError); // the label storage failed; the guest gets no data
        }
        return new DsmAnswer(DsmStatus.Success, data);
    }

    private static DsmAnswer SetLabelData(NvdimmDevice device, uint offset, uint length, ReadOnlySpan<byte> data)
    {
        if (InvalidRange(device, offset, length))
            return DsmAnswer.Status(DsmStatus.InvalidInput);
        // A read-only backend (QEMU crashes writing to it): the function is not available on this DIMM.
        if (!device.Labels.Writable)
            return DsmAnswer.Status(DsmStatus.NotSupported);
        try
        {
            device.Labels.Write(offset, data[..(int)length]);
        }
        catch (HostMemory.StorageFault)
        {
            return DsmAnswer.Status(DsmStatus.HardwareError); // nothing acknowledged: the write did not happen (or not wholly)
        }
        return DsmAnswer.Status(DsmStatus.Success);
    }

    private static uint U32(ReadOnlySpan<byte> arg3, int at) => BinaryPrimitives.ReadUInt32LittleEndian(arg3[at..]);
}
