using System.Buffers.Binary;
using System.Text;
using Vnvdimm.HostMemory;
using Vnvdimm.Platform;
using Vnvdimm.Platform.FwCfg;

namespace Vnvdimm.Tests.Platform;

public sealed class FwCfgDeviceTests : IDisposable
{
    private readonly HostMapping _ram = HostMapping.Map(-1, 1 << 20, 4096, Libc.ProtRead | Libc.ProtWrite, Libc.MapPrivate | Libc.MapAnonymous);
    private readonly GuestAddressSpace _memory = new();
    private readonly FwCfgDevice _device;

    public FwCfgDeviceTests()
    {
        _memory.Map(new GuestRange(0, 1 << 20), _ram, 0, "ram");
        _device = new FwCfgDevice(_memory);
        _device.SetFile("z/last", [9, 9]);
        _device.SetFile("a/first", Encoding.ASCII.GetBytes("hello world"));
    }

    public void Dispose() => _ram.Dispose();

    private byte[] ReadPort(ushort key, int length)
    {
        _device.Write(0, 2, key);
        return [.. Enumerable.Range(0, length).Select(_ => (byte)_device.Read(1, 1))];
    }

    [Fact]
    public void Signature_features_and_sorted_directory()
    {
        Assert.Equal("QEMU", Encoding.ASCII.GetString(ReadPort(FwCfgDevice.KeySignature, 4)));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(ReadPort(FwCfgDevice.KeyId, 4)));
        byte[] dir = ReadPort(FwCfgDevice.KeyFileDirectory, 4 + 128);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(dir));
        Assert.Equal(11u, BinaryPrimitives.ReadUInt32BigEndian(dir.AsSpan(4)));
        Assert.Equal(0x20, BinaryPrimitives.ReadUInt16BigEndian(dir.AsSpan(8)));
        Assert.Equal("a/first", Encoding.ASCII.GetString(dir, 12, 56).TrimEnd('\0'));
        Assert.Equal(0x21, BinaryPrimitives.ReadUInt16BigEndian(dir.AsSpan(68 + 4)));
    }

    [Fact]
    public void Reads_past_the_end_return_zero()
    {
        Assert.Equal(new byte[] { 9, 9, 0, 0 }, ReadPort(0x21, 4));
        Assert.Equal(new byte[] { 0, 0 }, ReadPort(0x7777, 2));
    }

    private uint Dma(uint control, uint length, ulong target)
    {
        Span<byte> d = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(d, control);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], length);
        BinaryPrimitives.WriteUInt64BigEndian(d[8..], target);
        _memory.Write(0x1000, d);
        _device.Write(4, 4, 0);
        _device.Write(8, 4, BinaryPrimitives.ReverseEndianness(0x1000u));
        Span<byte> status = stackalloc byte[4];
        _memory.Read(0x1000, status);
        return BinaryPrimitives.ReadUInt32BigEndian(status);
    }

    [Fact]
    public void Dma_select_skip_and_read_with_zero_fill()
    {
        Assert.Equal(0u, Dma((0x20u << 16) | 8 | 4, 6, 0));
        Assert.Equal(0u, Dma(2, 8, 0x2000));
        var buffer = new byte[8];
        _memory.Read(0x2000, buffer);
        Assert.Equal("world\0\0\0"u8.ToArray(), buffer);
    }

    [Fact]
    public void Dma_write_is_refused_with_the_error_bit() => Assert.Equal(1u, Dma((0x20u << 16) | 8 | 16, 4, 0x2000));
}
