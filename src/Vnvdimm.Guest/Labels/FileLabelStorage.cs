using Microsoft.Win32.SafeHandles;

namespace Vnvdimm.Guest.Labels;

/// <summary>
/// The label area of a backing file, offline: its last <c>label-size</c> bytes, where QEMU and
/// vnvdimm keep it. Writes are flushed to storage (fsync) before they return.
/// </summary>
public sealed class FileLabelStorage : ILabelStorage, IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly long _start;

    public FileLabelStorage(string path, uint labelSize, bool writable)
    {
        _file = File.OpenHandle(path, FileMode.Open, writable ? FileAccess.ReadWrite : FileAccess.Read);
        long length = RandomAccess.GetLength(_file);
        if (labelSize == 0 || length < labelSize)
        {
            _file.Dispose();
            throw new IOException($"{path} ({length} bytes) cannot hold a {labelSize}-byte label area");
        }
        _start = length - labelSize;
        Size = labelSize;
    }

    public uint Size { get; }

    /// <summary>
    /// Nobody may write the file (no write permission bit, as chmod a-w leaves it): a machine maps it only with
    /// readonly=on, its NVDIMM unarmed. Told by the mode, not by trying to open it: root could open it for writing.
    /// </summary>
    public static bool IsReadOnly(string path) =>
        (File.GetUnixFileMode(path) & (UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0;

    public byte[] Read(uint offset, uint length)
    {
        var data = new byte[length];
        RandomAccess.Read(_file, data, _start + offset);
        return data;
    }

    public void Write(uint offset, ReadOnlySpan<byte> data)
    {
        RandomAccess.Write(_file, data, _start + offset);
        RandomAccess.FlushToDisk(_file);
    }

    public void Dispose() => _file.Dispose();
}
