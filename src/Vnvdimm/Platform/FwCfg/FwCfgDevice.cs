using System.Buffers.Binary;
using System.Text;

namespace Vnvdimm.Platform.FwCfg;

/// <summary>
/// QEMU's firmware configuration device on x86 (docs/specs/fw_cfg.txt): a 16-bit selector at
/// port 0x510, a byte-wide data port at 0x511, and the DMA address register at 0x514..0x51b.
/// </summary>
public sealed class FwCfgDevice(GuestAddressSpace memory) : IIoPortDevice
{
    public const ushort BasePort = 0x510;
    public const ushort PortCount = 12;

    public const ushort KeySignature = 0x00, KeyId = 0x01, KeyFileDirectory = 0x19, FirstFileKey = 0x20;
    private const ushort KeyMask = 0x3fff;
    public const uint FeatureTraditional = 1, FeatureDma = 2;
    public const int FileDirectoryEntrySize = 64, FileNameSize = 56;

    [Flags]
    public enum DmaControl : uint
    {
        Error = 1,
        Read = 2,
        Skip = 4,
        Select = 8,
        Write = 16,
    }

    /// <summary>"QEMU CFG", what a read of the DMA register returns.</summary>
    public const ulong DmaSignature = 0x51454d5520434647;

    private readonly object _lock = new();
    private readonly SortedDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<ushort, byte[]> _items = [];
    private readonly Dictionary<ushort, string> _fileKeys = [];
    private readonly HashSet<string> _selectedFiles = new(StringComparer.Ordinal);
    private ushort _selected;
    private int _offset;
    private uint _dmaHigh;

    /// <summary>Adds or replaces a file. Keys follow name order, so the directory reads the same whatever the call order.</summary>
    public void SetFile(string name, byte[] content)
    {
        if (Encoding.ASCII.GetByteCount(name) >= FileNameSize)
            throw new ArgumentException($"fw_cfg file name too long: {name}");
        lock (_lock)
        {
            _files[name] = content;
            RebuildItems();
        }
    }

    /// <summary>Whether the firmware has selected this file: from then on it may hold a copy, so content must not change.</summary>
    public bool WasSelected(string name)
    {
        lock (_lock)
            return _selectedFiles.Contains(name);
    }

    public IReadOnlyList<string> FileNames
    {
        get
        {
            lock (_lock)
                return [.. _files.Keys];
        }
    }

    private void RebuildItems()
    {
        _items.Clear();
        _fileKeys.Clear();
        _items[KeySignature] = "QEMU"u8.ToArray();
        var id = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(id, FeatureTraditional | FeatureDma);
        _items[KeyId] = id;

        var directory = new byte[4 + _files.Count * FileDirectoryEntrySize];
        BinaryPrimitives.WriteUInt32BigEndian(directory, (uint)_files.Count);
        ushort key = FirstFileKey;
        int at = 4;
        foreach (var (name, content) in _files)
        {
            BinaryPrimitives.WriteUInt32BigEndian(directory.AsSpan(at), (uint)content.Length);
            BinaryPrimitives.WriteUInt16BigEndian(directory.AsSpan(at + 4), key);
            Encoding.ASCII.GetBytes(name, directory.AsSpan(at + 8, FileNameSize));
            _fileKeys[key] = name;
            _items[key++] = content;
            at += FileDirectoryEntrySize;
        }
        _items[KeyFileDirectory] = directory;
    }

    public uint Read(ushort offset, int size)
    {
        lock (_lock)
        {
            if (offset == 1)
            {
                // The data port is byte-wide; wider reads take consecutive bytes, little-endian.
                uint value = 0;
                for (int i = 0; i < size; i++)
                    value |= (uint)NextByte() << (8 * i);
                return value;
            }
            if (offset >= 4)
            {
                // The DMA register is big-endian; the CPU reads it byte-swapped.
                ulong shifted = DmaSignature << (8 * (offset - 4));
                uint bigEndianBytes = (uint)(shifted >> (64 - 8 * size));
                return size switch
                {
                    4 => BinaryPrimitives.ReverseEndianness(bigEndianBytes),
                    2 => BinaryPrimitives.ReverseEndianness((ushort)bigEndianBytes),
                    _ => bigEndianBytes,
                };
            }
            return 0;
        }
    }

    public void Write(ushort offset, int size, uint value)
    {
        lock (_lock)
        {
            switch (offset)
            {
                case 0:
                    Select((ushort)value);
                    break;
                case 4 when size == 4:
                    _dmaHigh = BinaryPrimitives.ReverseEndianness(value);
                    break;
                case 8 when size == 4:
                    RunDma(((ulong)_dmaHigh << 32) | BinaryPrimitives.ReverseEndianness(value));
                    _dmaHigh = 0;
                    break;
            }
        }
    }

    private void Select(ushort key)
    {
        _selected = (ushort)(key & KeyMask);
        _offset = 0;
        if (_fileKeys.TryGetValue(_selected, out var name))
            _selectedFiles.Add(name);
    }

    private byte NextByte()
    {
        if (_items.TryGetValue(_selected, out var item) && _offset < item.Length)
            return item[_offset++];
        return 0;
    }

    // FWCfgDmaAccess: be32 control, be32 length, be64 address. Completion clears control (or leaves Error).
    private void RunDma(ulong descriptorAddress)
    {
        Span<byte> descriptor = stackalloc byte[16];
        memory.Read(descriptorAddress, descriptor);
        var control = (DmaControl)BinaryPrimitives.ReadUInt32BigEndian(descriptor);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(descriptor[4..]);
        ulong address = BinaryPrimitives.ReadUInt64BigEndian(descriptor[8..]);

        if (control.HasFlag(DmaControl.Select))
            Select((ushort)((uint)control >> 16));

        uint status = 0;
        _items.TryGetValue(_selected, out var item);
        if (control.HasFlag(DmaControl.Write))
        {
            status = (uint)DmaControl.Error; // no writable items here
        }
        else if (control.HasFlag(DmaControl.Read) || control.HasFlag(DmaControl.Skip))
        {
            int available = item is null ? 0 : Math.Max(0, item.Length - _offset);
            int copy = (int)Math.Min(length, (uint)available);
            if (control.HasFlag(DmaControl.Read))
            {
                if (copy > 0)
                    memory.Write(address, item.AsSpan(_offset, copy));
                if (length > (uint)copy)
                    memory.Fill(address + (ulong)copy, length - (uint)copy, 0);
            }
            _offset += copy;
        }

        Span<byte> done = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(done, status);
        memory.Write(descriptorAddress, done);
    }
}
