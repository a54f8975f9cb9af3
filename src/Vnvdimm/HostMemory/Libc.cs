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
    public const int Eopnotsupp = 95, Einval = 22;
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

    /// <summary>fstat into a raw struct stat (x86-64 layout: st_dev at 0, st_ino at 8).</summary>
    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    public static unsafe partial int Fstat(int fd, byte* buffer);

    [LibraryImport("libc", EntryPoint = "strerror")]
    private static partial nint StrError(int errnum);

    public static string Describe(int errno) => Marshal.PtrToStringUTF8(StrError(errno)) ?? $"errno {errno}";

    public static long PageSize { get; } = Environment.SystemPageSize;
}
