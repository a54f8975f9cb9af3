using Vnvdimm.Options;

namespace Vnvdimm.HostMemory;

/// <summary>
/// What can be checked of a backend without changing the host: the file's type, size and access, and
/// whether its folder exists. Run for every backend before any is opened, so a failing command touches no file.
/// </summary>
// QEMU reports what goes wrong while a backend is opened without naming the -object option: so do we.
public static class BackendPreflight
{
    /// <param name="incoming">The machine waits for an incoming migration, which rewrites a file marked incomplete.</param>
    public static void Check(BackendDescriptor descriptor, bool incoming = false)
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
            CheckExisting(descriptor, path, info.Length);
            return;
        }
        if (Directory.Exists(path))
            throw new ConfigurationException($"can't open backing store {path} for guest RAM: Is a directory (vnvdimm needs a file path)");
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (options.Readonly || !Directory.Exists(folder))
            throw new ConfigurationException($"can't open backing store {path} for guest RAM: No such file or directory");
    }

    private static void CheckExisting(BackendDescriptor descriptor, string path, long length)
    {
        // A pipe or a socket cannot be mapped: QEMU's words for what its mmap then says.
        uint? type = Libc.FileType(path);
        if (type == Libc.FileTypeFifo)
            throw new ConfigurationException("unable to map backing store for guest RAM: No such device");
        if (type == Libc.FileTypeSocket)
            throw new ConfigurationException($"can't open backing store {path} for guest RAM: No such device or address");
        // QEMU maps devices too (device-DAX, /dev/pmem0); vnvdimm's file handling (sizes, reservation, migration I/O) needs a file.
        if (type is Libc.FileTypeCharDevice or Libc.FileTypeBlockDevice)
            throw new ConfigurationException($"can't use {path} for guest RAM: it is a " +
                $"{(type == Libc.FileTypeCharDevice ? "character" : "block")} device, and vnvdimm backs memory with regular files only " +
                "(device-DAX and block devices are not supported yet): use a file, on a DAX filesystem for persistence");
        // Opened (and closed, nothing written) the way a start opens it: a file this user may not use fails here.
        try
        {
            var access = descriptor.Options.Readonly ? FileAccess.Read : FileAccess.ReadWrite;
            File.OpenHandle(path, FileMode.Open, access, FileShare.ReadWrite).Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"can't open backing store {path} for guest RAM: {HostErrors.Describe(e, path)}");
        }
        if (length > 0 && (ulong)length < descriptor.Size)
            throw new ConfigurationException($"backing store size 0x{length:x} does not match 'size' option 0x{descriptor.Size:x}");
    }
}
