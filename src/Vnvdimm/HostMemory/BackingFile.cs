using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Vnvdimm.Options;

namespace Vnvdimm.HostMemory;

/// <summary>
/// The open file behind a <c>memory-backend-file</c>: what is done to the file itself rather than
/// through its mapping (reads and writes by offset, its extents, holes, size and flushes to storage).
/// </summary>
public sealed class BackingFile : IDisposable
{
    private BackingFile(SafeFileHandle handle, string path)
    {
        Handle = handle;
        Path = path;
    }

    public SafeFileHandle Handle { get; }
    public string Path { get; }
    internal int Descriptor => (int)Handle.DangerousGetHandle();

    /// <summary>
    /// Opens the backend's file, creating a sparse one of the backend's size if absent (an empty file is
    /// sized too, as QEMU does; a non-empty file never changes size).
    /// </summary>
    /// <param name="created">Set when this call created the file, so a later failure can remove it.</param>
    public static BackingFile Open(BackendDescriptor descriptor, out bool created)
    {
        var options = descriptor.Options;
        string path = options.MemPath!;
        var access = options.Readonly ? FileAccess.Read : FileAccess.ReadWrite;
        created = false;
        try
        {
            if (Directory.Exists(path))
                throw new ConfigurationException($"can't open backing store {path} for guest RAM: Is a directory (vnvdimm needs a file path)");
            SafeFileHandle handle;
            if (File.Exists(path))
            {
                handle = File.OpenHandle(path, FileMode.Open, access, FileShare.ReadWrite);
            }
            else
            {
                handle = File.OpenHandle(path, FileMode.CreateNew, access, FileShare.ReadWrite);
                created = true;
            }
            if (RandomAccess.GetLength(handle) == 0)
                RandomAccess.SetLength(handle, (long)descriptor.Size);
            return new BackingFile(handle, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            if (created)
                File.Delete(path);
            // A size the file system cannot hold (or past 2^63) is refused here, the file this created removed.
            throw new ConfigurationException($"can't open backing store {path} for guest RAM: {HostErrors.Describe(e, path)}");
        }
    }

    public long Length => RandomAccess.GetLength(Handle);

    /// <summary>Reads through the file: the mapping's page cache, without faulting pages into this process.</summary>
    /// <param name="owner">Who the file backs, for the message when it has been cut short.</param>
    public void Read(ulong offset, Span<byte> destination, string owner)
    {
        int read = RandomAccess.Read(Handle, destination, (long)offset);
        if (read < destination.Length) // past the end: the file was truncated, and its content is gone
            throw new StorageFault($"backend '{owner}': the backing file ends at 0x{offset + (ulong)read:x}, " +
                $"before [0x{offset:x}+0x{destination.Length:x}]: it was truncated while in use");
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data) => RandomAccess.Write(Handle, data, (long)offset);

    /// <summary>The stretches of [offset, offset+length) that may hold data (SEEK_DATA/SEEK_HOLE; holes read as zeros).</summary>
    public IEnumerable<(ulong Offset, ulong Length)> DataExtents(ulong offset, ulong length)
    {
        ulong end = offset + length;
        ulong at = offset;
        while (at < end)
        {
            long data = Libc.Lseek(Descriptor, (long)at, Libc.SeekData);
            if (data < 0 || (ulong)data >= end)
                yield break; // ENXIO: only a hole remains
            long hole = Libc.Lseek(Descriptor, data, Libc.SeekHole);
            ulong stop = hole < 0 ? end : Math.Min(end, (ulong)hole);
            yield return ((ulong)data, stop - (ulong)data);
            at = stop;
        }
    }

    /// <summary>Makes a range a hole (it then reads as zeros); nothing to do where it is one already.</summary>
    public void PunchHole(ulong offset, ulong length)
    {
        if (DataExtents(offset, length).Any() &&
            Libc.Fallocate(Descriptor, Libc.FallocPunchHole | Libc.FallocKeepSize, (long)offset, (long)length) != 0)
            throw new MappingException(Marshal.GetLastPInvokeError());
    }

    /// <summary>fdatasync: what makes punched holes and file metadata durable.</summary>
    public void FlushToDisk() => RandomAccess.FlushToDisk(Handle);

    /// <summary>(device, inode): "the same file" for x-ignore-shared; null when it cannot be read.</summary>
    public (ulong Device, ulong Inode)? Identity => Libc.FileIdentity(Descriptor);

    public void Dispose() => Handle.Dispose();
}
