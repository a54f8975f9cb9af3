using Microsoft.Win32.SafeHandles;

namespace Vnvdimm.Guest.Namespaces;

/// <summary>A region in a backing file, offline: the file's first <see cref="Size"/> bytes, where a machine maps its PMEM.</summary>
public sealed class FileRegionMedia : IRegionMedia, IDisposable
{
    private readonly SafeFileHandle _file;

    public FileRegionMedia(string path, ulong size, bool writable)
    {
        _file = File.OpenHandle(path, FileMode.Open, writable ? FileAccess.ReadWrite : FileAccess.Read);
        if ((ulong)RandomAccess.GetLength(_file) < size)
        {
            _file.Dispose();
            throw new IOException($"{path} is smaller than its {size}-byte region");
        }
        Size = size;
    }

    public ulong Size { get; }

    public byte[] Read(ulong offset, int length)
    {
        RegionBounds.Check(Size, offset, (ulong)length);
        var data = new byte[length];
        RandomAccess.Read(_file, data, (long)offset);
        return data;
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        RegionBounds.Check(Size, offset, (ulong)data.Length);
        RandomAccess.Write(_file, data, (long)offset);
    }

    public void Flush() => RandomAccess.FlushToDisk(_file);

    public void Dispose() => _file.Dispose();
}
