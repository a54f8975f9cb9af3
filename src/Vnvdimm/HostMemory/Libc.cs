using System.Runtime.InteropServices;

namespace Vnvdimm.HostMemory;

/// <summary>The few libc calls the host-memory layer needs; everything else goes through .NET's file APIs.</summary>
internal static partial class Libc
{
    public const int ProtNone = 0, ProtRead = 1, ProtWrite = 2;
    public const int MapShared = 0x01, MapPrivate = 0x02, MapSharedValidate = 0x03, MapFixed = 0x10,
        MapAnonymous = 0x20, MapNoReserve = 0x4000, MapSync = 0x80000;
    public const int MsSync = 4;
    public const int MadvRemove = 9, MadvPopulateRead = 22, MadvPopulateWrite = 23;
    public const int Eopnotsupp = 95, Einval = 22, Eintr = 4;
    public static readonly nint MapFailed = -1;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint addr, nuint length);

    [LibraryImport("libc", EntryPoint = "msync", SetLastError = true)]
    public static partial int Msync(nint addr, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint addr, nuint length, int advice);

    public const int SeekData = 3, SeekHole = 4;
    public const int FallocPunchHole = 0x02, FallocKeepSize = 0x01;

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    public static partial long Lseek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    public static partial int Fallocate(int fd, int mode, long offset, long length);

    /// <summary>open(2), for a directory to fsync: .NET cannot open a directory as a file handle.</summary>
    public const int ORdonly = 0, ODirectory = 0x10000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* buffer);

    public const uint FileTypeMask = 0xf000, FileTypeRegular = 0x8000, FileTypeFifo = 0x1000, FileTypeCharDevice = 0x2000, FileTypeBlockDevice = 0x6000,
        FileTypeSocket = 0xc000;

    /// <summary>The file type bits of st_mode (x86-64: a 32-bit field at offset 24), following links; null when stat fails.</summary>
    public static unsafe uint? FileType(string path)
    {
        byte* stat = stackalloc byte[StatSize];
        return Stat(path, stat) == 0 ? *(uint*)(stat + 24) & FileTypeMask : null;
    }

    /// <summary>The x86-64 struct stat (144 bytes).</summary>
    private const int StatSize = 144;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static unsafe partial int Statx(int dirfd, byte* path, int flags, uint mask, byte* buffer);

    private const int AtEmptyPath = 0x1000;
    private const uint StatxSize = 0x200;
    private const int StatxBufferSize = 256, StatxSizeOffset = 40;

    /// <summary>
    /// The file's size, -1 when it cannot be read: one syscall, no allocation (durable writes ask after
    /// each flush). statx asking for the size alone, not fstat: a stat that reports the change time makes
    /// the kernel (6.13+, multigrain timestamps) give the next write a fine-grained time, so every label
    /// write through the mapping dirtied the inode and its msync wrote it too (3 block requests, not 2).
    /// </summary>
    public static unsafe long FileSize(int fd)
    {
        byte* statx = stackalloc byte[StatxBufferSize];
        byte emptyPath = 0;
        return Statx(fd, &emptyPath, AtEmptyPath, StatxSize, statx) == 0 && (*(uint*)statx & StatxSize) != 0
            ? *(long*)(statx + StatxSizeOffset) : -1;
    }

    private const uint StatxType = 0x1, StatxIno = 0x100;
    private const int StatxInodeOffset = 32, StatxDeviceMajorOffset = 136, StatxDeviceMinorOffset = 140;

    /// <summary>(st_dev, st_ino) as fstat would give them, from statx (no change time asked: see <see cref="FileSize"/>).</summary>
    public static unsafe (ulong Device, ulong Inode)? FileIdentity(int fd)
    {
        byte* statx = stackalloc byte[StatxBufferSize];
        byte emptyPath = 0;
        if (Statx(fd, &emptyPath, AtEmptyPath, StatxType | StatxIno, statx) != 0 || (*(uint*)statx & StatxIno) == 0)
            return null;
        uint major = *(uint*)(statx + StatxDeviceMajorOffset), minor = *(uint*)(statx + StatxDeviceMinorOffset);
        // glibc's makedev: the encoding st_dev carries.
        ulong device = ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8)
            | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
        return (device, *(ulong*)(statx + StatxInodeOffset));
    }

    [LibraryImport("libc", EntryPoint = "strerror")]
    private static partial nint StrError(int errnum);

    public static string Describe(int errno) => Marshal.PtrToStringUTF8(StrError(errno)) ?? $"errno {errno}";

    public static long PageSize { get; } = Environment.SystemPageSize;
}
