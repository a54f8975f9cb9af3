using System.Buffers.Binary;
using System.Text;
using Vnvdimm.Guest.Transport;

namespace Vnvdimm.Guest.Firmware;

public sealed record FwCfgFile(string Name, uint Size, ushort Key);

/// <summary>
/// Reads fw_cfg the way firmware does: the file directory through the data port, file contents
/// through DMA when the device offers it (one round trip instead of one per byte).
/// </summary>
public sealed class FwCfgClient(IGuestConnection guest, ulong scratchAddress = FwCfgClient.DefaultScratch)
{
    public const ushort SelectorPort = 0x510, DataPort = 0x511, DmaHighPort = 0x514, DmaLowPort = 0x518;
    public const ushort KeySignature = 0x00, KeyId = 0x01, KeyFileDirectory = 0x19;
    private const uint DmaRead = 2, DmaSelect = 8, DmaError = 1;
    private const uint FeatureDma = 2;

    /// <summary>Guest RAM the client may clobber for DMA descriptors and buffers (below 640 KiB, as firmware does).</summary>
    public const ulong DefaultScratch = 0x10000;

    private IReadOnlyList<FwCfgFile>? _files;

    public string Signature() => Encoding.ASCII.GetString(ReadItemByPort(KeySignature, 4));

    public bool HasDma => (BinaryPrimitives.ReadUInt32LittleEndian(ReadItemByPort(KeyId, 4)) & FeatureDma) != 0;

    public IReadOnlyList<FwCfgFile> Files()
    {
        if (_files is not null)
            return _files;
        guest.Out(SelectorPort, 2, KeyFileDirectory);
        uint count = BinaryPrimitives.ReadUInt32BigEndian(ReadData(4));
        var files = new List<FwCfgFile>();
        for (uint i = 0; i < count; i++)
        {
            byte[] entry = ReadData(64);
            string name = Encoding.ASCII.GetString(entry, 8, 56).TrimEnd('\0');
            files.Add(new FwCfgFile(name, BinaryPrimitives.ReadUInt32BigEndian(entry), BinaryPrimitives.ReadUInt16BigEndian(entry.AsSpan(4))));
        }
        return _files = files;
    }

    public FwCfgFile? Find(string name) => Files().FirstOrDefault(f => f.Name == name);

    public byte[] ReadFile(string name)
    {
        var file = Find(name) ?? throw new FileNotFoundException($"fw_cfg has no file '{name}'");
        return HasDma ? ReadItemByDma(file.Key, (int)file.Size) : ReadItemByPort(file.Key, (int)file.Size);
    }

    private byte[] ReadItemByPort(ushort key, int length)
    {
        guest.Out(SelectorPort, 2, key);
        return ReadData(length);
    }

    private byte[] ReadData(int length)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++)
            data[i] = (byte)guest.In(DataPort, 1);
        return data;
    }

    private byte[] ReadItemByDma(ushort key, int length)
    {
        ulong buffer = scratchAddress + 16;
        Span<byte> descriptor = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(descriptor, ((uint)key << 16) | DmaSelect | DmaRead);
        BinaryPrimitives.WriteUInt32BigEndian(descriptor[4..], (uint)length);
        BinaryPrimitives.WriteUInt64BigEndian(descriptor[8..], buffer);
        guest.WriteMemory(scratchAddress, descriptor);
        // The register is big-endian: the guest writes each half byte-swapped; the low half starts the transfer.
        guest.Out(DmaHighPort, 4, BinaryPrimitives.ReverseEndianness((uint)(scratchAddress >> 32)));
        guest.Out(DmaLowPort, 4, BinaryPrimitives.ReverseEndianness((uint)scratchAddress));
        uint control = BinaryPrimitives.ReadUInt32BigEndian(guest.ReadMemory(scratchAddress, 4));
        if ((control & DmaError) != 0 || control != 0)
            throw new IOException($"fw_cfg DMA of key 0x{key:x} failed (control 0x{control:x})");
        return guest.ReadMemory(buffer, length);
    }
}
