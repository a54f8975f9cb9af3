using Microsoft.Extensions.Logging;
using Vnvdimm.Options;

namespace Vnvdimm.HostMemory;

public enum WriteDurability
{
    /// <summary>Private file mapping or RAM: nothing outlives the process, nothing to flush.</summary>
    Volatile,
    /// <summary>Shared file: msync of the touched pages before the write is acknowledged.</summary>
    Msync,
    /// <summary>pmem=on with MAP_SYNC: libpmem's cache flushes reach the media.</summary>
    Libpmem,
    /// <summary>pmem=on without MAP_SYNC (not DAX): libpmem, then msync to get from the page cache to storage.</summary>
    LibpmemThenMsync,
    /// <summary>readonly=on: the emulator writes nothing.</summary>
    ReadOnly,
}

/// <summary>An opened, mapped <c>memory-backend-file</c> or <c>memory-backend-ram</c>.</summary>
public sealed class MemoryBackend : IDisposable
{
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle? _file;

    private MemoryBackend(BackendDescriptor descriptor, HostMapping mapping, Microsoft.Win32.SafeHandles.SafeFileHandle? file, bool mapSync, Libpmem? libpmem)
    {
        Descriptor = descriptor;
        Mapping = mapping;
        _file = file;
        MapSync = mapSync;
        Libpmem = libpmem;
        DiscardData = descriptor.Options.DiscardData;
        Preallocated = descriptor.Options.Prealloc;
    }

    public BackendDescriptor Descriptor { get; }
    public BackendOptions Options => Descriptor.Options;
    public string Id => Descriptor.Id;
    public ulong Size => Descriptor.Size;
    public HostMapping Mapping { get; }

    /// <summary>True when the file is mapped with MAP_SYNC: CPU cache flushes reach the media.</summary>
    public bool MapSync { get; }

    /// <summary>Loaded for <c>pmem=on</c> backends; durability of own writes goes through it.</summary>
    public Libpmem? Libpmem { get; }

    /// <summary>
    /// Checks what can be checked without changing the host: the file's size and whether its folder
    /// exists. Run for every backend before any is opened, so a failing command touches no file.
    /// </summary>
    /// <param name="incoming">The machine waits for an incoming migration, which rewrites a file marked incomplete.</param>
    // QEMU reports what goes wrong while a backend is opened without naming the -object option: so do we.
    public static void Preflight(BackendDescriptor descriptor, bool incoming = false)
    {
        var options = descriptor.Options;
        if (!options.IsFile)
            return;
        string path = options.MemPath!;
        if (path.Length == 0 || path.Contains('\0'))
            throw new ConfigurationException($"can't open backing store {path} for guest RAM: No such file or directory");
        if (!incoming && IncompleteCopyMark.Read(path) is string why)
            throw new ConfigurationException($"{path} holds an incomplete migration copy ({why}): migrate into it again, " +
                $"or delete {IncompleteCopyMark.PathFor(path)} to use it as it is", options.Location);
        var info = HostPaths.Resolved(path); // a symbolic link stands for its target, as open(2) follows it
        if (info.Exists)
        {
            // A pipe or a socket cannot be mapped: QEMU's words for what its mmap then says.
            uint? type = Libc.FileType(path);
            if (type == Libc.FileTypeFifo)
                throw new ConfigurationException("unable to map backing store for guest RAM: No such device");
            if (type == Libc.FileTypeSocket)
                throw new ConfigurationException($"can't open backing store {path} for guest RAM: No such device or address");
            // QEMU maps devices too (device-DAX, /dev/pmem0); vnvdimm's file handling (sizes, reservation, migration I/O) needs a file.
            if (type is Libc.FileTypeCharDevice or Libc.FileTypeBlockDevice)
                throw new ConfigurationException($"can't use {path} for guest RAM: it is a {(type == Libc.FileTypeCharDevice ? "character" : "block")} device, " +
                    "and vnvdimm backs memory with regular files only (device-DAX and block devices are not supported yet): use a file, on a DAX filesystem for persistence");
            // Opened (and closed, nothing written) the way a start opens it: a file this user may not use fails here.
            try
            {
                File.OpenHandle(path, FileMode.Open, options.Readonly ? FileAccess.Read : FileAccess.ReadWrite, FileShare.ReadWrite).Dispose();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigurationException($"can't open backing store {path} for guest RAM: {HostErrors.Describe(e, path)}");
            }
            if (info.Length > 0 && (ulong)info.Length < descriptor.Size)
                throw new ConfigurationException($"backing store size 0x{info.Length:x} does not match 'size' option 0x{descriptor.Size:x}");
            return;
        }
        if (Directory.Exists(path))
            throw new ConfigurationException($"can't open backing store {path} for guest RAM: Is a directory (vnvdimm needs a file path)");
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (options.Readonly || !Directory.Exists(folder))
            throw new ConfigurationException($"can't open backing store {path} for guest RAM: No such file or directory");
    }

    /// <summary>Opens (creating a sparse file if absent) and maps the backend.</summary>
    /// <param name="created">Set when this call created the file, so a later failure can remove it.</param>
    public static MemoryBackend Open(BackendDescriptor descriptor, ILogger logger, out bool created)
    {
        var options = descriptor.Options;
        created = false;
        Libpmem? libpmem = null;
        if (options.Pmem)
        {
            string name = Libpmem.ConfiguredName;
            libpmem = Libpmem.TryLoad(name) ?? throw new ConfigurationException(
                $"pmem=on: lack of libpmem support ({name} could not be loaded; install Debian's libpmem1): vnvdimm can't ensure the persistence of its own writes to '{options.Id}'",
                options.Location);
        }

        if (!options.IsFile)
            return new MemoryBackend(descriptor, MapAnonymous(descriptor), null, false, libpmem);

        var file = OpenFile(descriptor, out created);
        try
        {
            var (mapping, mapSync) = MapFile(descriptor, file, logger);
            try
            {
                if (options.Prealloc)
                    Populate(mapping, options);
            }
            catch
            {
                mapping.Dispose();
                throw;
            }
            return new MemoryBackend(descriptor, mapping, file, mapSync, libpmem);
        }
        catch
        {
            file.Dispose();
            if (created)
                File.Delete(options.MemPath!);
            created = false;
            throw;
        }
    }

    private static HostMapping MapAnonymous(BackendDescriptor descriptor)
    {
        int flags = Libc.MapAnonymous | (descriptor.Options.Share ? Libc.MapShared : Libc.MapPrivate | Libc.MapNoReserve);
        HostMapping mapping;
        try
        {
            mapping = HostMapping.Map(-1, descriptor.Size, descriptor.Alignment, Libc.ProtRead | Libc.ProtWrite, flags);
        }
        catch (MappingException e)
        {
            // QEMU's words for memory it cannot have (it aborts for sizes that wrap; this says so instead).
            throw new ConfigurationException($"cannot set up guest memory '{descriptor.Options.Id}': {(e.Errno == Libc.Einval ? "Cannot allocate memory" : e.Message)}");
        }
        try
        {
            if (descriptor.Options.Prealloc)
                Populate(mapping, descriptor.Options);
        }
        catch
        {
            mapping.Dispose();
            throw;
        }
        return mapping;
    }

    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenFile(BackendDescriptor descriptor, out bool created)
    {
        var options = descriptor.Options;
        string path = options.MemPath!;
        var access = options.Readonly ? FileAccess.Read : FileAccess.ReadWrite;
        created = false;
        try
        {
            if (Directory.Exists(path))
                throw new ConfigurationException($"can't open backing store {path} for guest RAM: Is a directory (vnvdimm needs a file path)");
            Microsoft.Win32.SafeHandles.SafeFileHandle handle;
            if (File.Exists(path))
            {
                handle = File.OpenHandle(path, FileMode.Open, access, FileShare.ReadWrite);
            }
            else
            {
                handle = File.OpenHandle(path, FileMode.CreateNew, access, FileShare.ReadWrite);
                created = true;
            }
            // An empty file is sized like a new one (QEMU does the same); a non-empty file never changes size.
            if (RandomAccess.GetLength(handle) == 0)
                RandomAccess.SetLength(handle, (long)descriptor.Size);
            return handle;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            if (created)
                File.Delete(path);
            // A size the file system cannot hold (or past 2^63) is refused here, the file this created removed.
            throw new ConfigurationException($"can't open backing store {path} for guest RAM: {HostErrors.Describe(e, path)}");
        }
    }

    private static (HostMapping Mapping, bool MapSync) MapFile(BackendDescriptor descriptor, Microsoft.Win32.SafeHandles.SafeFileHandle file, ILogger logger)
    {
        var options = descriptor.Options;
        int fd = (int)file.DangerousGetHandle();
        int prot = options.Readonly ? Libc.ProtRead : Libc.ProtRead | Libc.ProtWrite;
        try
        {
            if (options.Share && options.Pmem && !options.Readonly)
            {
                try
                {
                    return (HostMapping.Map(file, fd, descriptor.Size, descriptor.Alignment, prot, Libc.MapSharedValidate | Libc.MapSync), true);
                }
                catch (MappingException e) when (e.Errno is Libc.Eopnotsupp or Libc.Einval)
                {
                    logger.LogWarning("{Location}: {Path} is not a DAX file (MAP_SYNC refused: {Reason}); mapped without MAP_SYNC, so guest writes reach the page cache, not the media", options.Location, options.MemPath, e.Message);
                }
            }
            int flags = options.Share ? Libc.MapShared : Libc.MapPrivate | Libc.MapNoReserve;
            return (HostMapping.Map(file, fd, descriptor.Size, descriptor.Alignment, prot, flags), false);
        }
        catch (MappingException e)
        {
            throw new ConfigurationException($"unable to map backing store for guest RAM: {e.Message}");
        }
    }

    /// <summary>How the emulator's own writes to this backend are made durable.</summary>
    public WriteDurability Durability =>
        Options.Readonly ? WriteDurability.ReadOnly
        // A private mapping never reaches the file: there is nothing to make durable.
        : !Options.IsFile || !Options.Share ? WriteDurability.Volatile
        : Libpmem is not null ? (MapSync ? WriteDurability.Libpmem : WriteDurability.LibpmemThenMsync)
        : WriteDurability.Msync;

    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="offset"/> and returns only once it is as durable as
    /// this backend allows: libpmem for pmem=on (plus msync when the file is not DAX, since CPU cache
    /// flushes then only reach the page cache), msync for shared files, nothing for private or RAM backends.
    /// </summary>
    public void WriteDurably(ulong offset, ReadOnlySpan<byte> data)
    {
        if (Options.Readonly)
            throw new InvalidOperationException($"backend '{Id}' is read-only");
        if (data.IsEmpty)
            return;
        switch (Durability)
        {
            case WriteDurability.Libpmem:
                Mapping.Reserve(offset, (ulong)data.Length); // libpmem copies through the mapping: no page may be missing
                Libpmem!.CopyPersist(Mapping.Address + (nint)offset, data);
                Mapping.MarkDirty(offset, (ulong)data.Length);
                Mapping.ConfirmBacked(offset, (ulong)data.Length);
                break;
            case WriteDurability.LibpmemThenMsync:
                Mapping.Reserve(offset, (ulong)data.Length);
                Libpmem!.CopyPersist(Mapping.Address + (nint)offset, data);
                Mapping.Sync(offset, (ulong)data.Length);
                Mapping.MarkDirty(offset, (ulong)data.Length);
                Mapping.ConfirmBacked(offset, (ulong)data.Length);
                break;
            case WriteDurability.Msync:
                Mapping.Write(offset, data);
                Mapping.Sync(offset, (ulong)data.Length);
                Mapping.ConfirmBacked(offset, (ulong)data.Length);
                break;
            default:
                Mapping.Write(offset, data);
                break;
        }
    }

    /// <summary>
    /// Makes bytes already written into the mapping durable, as <see cref="WriteDurably"/> would have:
    /// what an incoming migration does for each chunk it applies.
    /// </summary>
    public void MakeDurable(ulong offset, ulong length)
    {
        switch (Durability)
        {
            case WriteDurability.Libpmem:
                Libpmem!.Persist(Mapping.Address + (nint)offset, (nuint)length);
                break;
            case WriteDurability.LibpmemThenMsync:
                Libpmem!.Persist(Mapping.Address + (nint)offset, (nuint)length);
                Mapping.Sync(offset, length);
                break;
            case WriteDurability.Msync:
                Mapping.Sync(offset, length);
                break;
        }
    }

    /// <summary>fdatasync of the backing file: what makes punched holes and file metadata durable.</summary>
    public void SyncFile()
    {
        if (SharesFile)
            RandomAccess.FlushToDisk(_file!);
    }

    /// <summary>
    /// Reads content through the file rather than the mapping (shared files only): the same page
    /// cache, without faulting every page into this process.
    /// </summary>
    public void ReadFile(ulong offset, Span<byte> destination)
    {
        int read = RandomAccess.Read(_file!, destination, (long)offset);
        if (read < destination.Length) // past the end: the file was truncated, and its content is gone
            throw new StorageFault($"backend '{Id}': the backing file ends at 0x{offset + (ulong)read:x}, before [0x{offset:x}+0x{destination.Length:x}]: it was truncated while in use");
    }

    /// <summary>Writes content through the file (shared files only), visible in the mapping, recorded as written.</summary>
    public void WriteFile(ulong offset, ReadOnlySpan<byte> data)
    {
        RandomAccess.Write(_file!, data, (long)offset);
        Mapping.MarkDirty(offset, (ulong)data.Length);
    }

    /// <summary>
    /// Fails when the backing file is shorter than the backend: it was truncated while in use, its tail is
    /// gone, and a hole-aware reader would take the missing part for zeros.
    /// </summary>
    public void CheckFileIntact()
    {
        if (_file is null)
            return;
        long length = RandomAccess.GetLength(_file);
        if ((ulong)length < Size)
            throw new StorageFault($"backend '{Id}': the backing file is 0x{length:x} bytes, the backend 0x{Size:x}: it was truncated while in use");
    }

    /// <summary>Whether the file is where guest writes land: a shared file mapping (holes there are zeros).</summary>
    public bool SharesFile => _file is not null && Options.Share;

    /// <summary>
    /// The stretches of [offset, offset+length) that may hold data: for a shared file, its data extents
    /// (SEEK_DATA/SEEK_HOLE; holes read as zeros); otherwise the whole range.
    /// </summary>
    public IEnumerable<(ulong Offset, ulong Length)> DataExtents(ulong offset, ulong length)
    {
        ulong end = offset + length;
        if (!SharesFile)
        {
            yield return (offset, length);
            yield break;
        }
        int fd = (int)_file!.DangerousGetHandle();
        ulong at = offset;
        while (at < end)
        {
            long data = Libc.Lseek(fd, (long)at, Libc.SeekData);
            if (data < 0 || (ulong)data >= end)
                yield break; // ENXIO: only a hole remains
            long hole = Libc.Lseek(fd, data, Libc.SeekHole);
            ulong stop = hole < 0 ? end : Math.Min(end, (ulong)hole);
            yield return ((ulong)data, stop - (ulong)data);
            at = stop;
        }
    }

    /// <summary>Makes a range read as zeros: punched out of a shared file, cleared elsewhere (only where not zero already).</summary>
    public void Zero(ulong offset, ulong length)
    {
        if (SharesFile)
        {
            Mapping.Unreserve(offset, length); // the blocks go: a later copy into them must allocate again
            if (DataExtents(offset, length).Any() &&
                Libc.Fallocate((int)_file!.DangerousGetHandle(), Libc.FallocPunchHole | Libc.FallocKeepSize, (long)offset, (long)length) != 0)
                throw new MappingException(System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
            return;
        }
        Mapping.ClearNonZero(offset, length);
    }

    /// <summary>(device, inode) of the backing file, or null for RAM backends: "the same file" for x-ignore-shared.</summary>
    public unsafe (ulong Device, ulong Inode)? FileIdentity
    {
        get
        {
            if (_file is null)
                return null;
            byte* stat = stackalloc byte[256];
            if (Libc.Fstat((int)_file.DangerousGetHandle(), stat) != 0)
                return null;
            return (*(ulong*)stat, *(ulong*)(stat + 8));
        }
    }

    /// <summary>Whether the content is punched out when the backend goes; QOM may change it at run time, as in QEMU.</summary>
    public bool DiscardData { get; set; }

    /// <summary>Whether every page has been faulted in (prealloc=on at creation or later through QOM).</summary>
    public bool Preallocated { get; private set; }

    /// <summary>Faults every page in without changing content, as prealloc=on does at creation; a failure leaves the machine as it was.</summary>
    public void Preallocate()
    {
        Populate(Mapping, Options);
        Preallocated = true;
    }

    /// <summary>prealloc=on: QEMU's words when the memory cannot be had (the kernel's reason appended, as QEMU appends errno's).</summary>
    private static void Populate(HostMapping mapping, BackendOptions options)
    {
        try
        {
            mapping.Populate(writable: !options.Readonly);
        }
        catch (MappingException e)
        {
            throw new ConfigurationException($"qemu_prealloc_mem: preallocating memory failed: {e.Message}");
        }
    }

    public void Dispose()
    {
        if (DiscardData && !Options.Readonly)
            Mapping.Discard();
        Mapping.Dispose();
        _file?.Dispose();
    }
}
