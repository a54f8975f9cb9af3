using System.Runtime.InteropServices;

namespace Vnvdimm.HostMemory;

/// <summary>
/// Copies into and out of file mappings that report a fault (SIGBUS: the file was truncated, the
/// filesystem is full) as a failed copy instead of killing the process. The copies live in a small
/// native library built with the project (FaultGuard.c); without it (no C compiler at build time,
/// or VNVDIMM_FAULT_GUARD=fstat) <see cref="HostMapping"/> checks the file's size before each access
/// instead, which costs a system call per access and leaves a race with a concurrent truncation.
/// </summary>
internal static partial class FaultGuard
{
    private const string Library = "vnvdimm-fault-guard";

    /// <summary>Whether the handler is installed: decided once, as the handler is process-wide.</summary>
    public static bool Active { get; } = TryInstall();

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/>; false with the faulting address when a page faulted.</summary>
    public static unsafe bool TryCopy(byte* destination, byte* source, nuint length, out nint faultAddress)
    {
        nint fault = 0;
        bool done = (length <= ShortCopy ? CopyShort(destination, source, length, &fault) : Copy(destination, source, length, &fault)) == 0;
        faultAddress = fault;
        return done;
    }

    public static unsafe bool TryFill(byte* destination, byte value, nuint length, out nint faultAddress)
    {
        nint fault = 0;
        bool done = Fill(destination, value, length, &fault) == 0;
        faultAddress = fault;
        return done;
    }

    /// <summary>Whether <paramref name="length"/> bytes are all zero; false with the faulting address when a page faulted.</summary>
    public static unsafe bool TryIsZero(byte* source, nuint length, out bool zero, out nint faultAddress)
    {
        nint fault = 0;
        int allZero = 0;
        bool done = IsZero(source, length, &allZero, &fault) == 0;
        zero = allZero != 0;
        faultAddress = fault;
        return done;
    }

    private static bool TryInstall()
    {
        if (Environment.GetEnvironmentVariable("VNVDIMM_FAULT_GUARD") == "fstat")
            return false;
        try
        {
            return Install() == 0;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport(Library, EntryPoint = "vnvdimm_fault_guard_install")]
    private static partial int Install();

    [LibraryImport(Library, EntryPoint = "vnvdimm_guarded_copy")]
    private static unsafe partial int Copy(byte* destination, byte* source, nuint length, nint* faultAddress);

    /// <summary>
    /// Copies up to this size skip the runtime's transition to native code (most of a small access's cost).
    /// A garbage collection waits for such a copy to end: microseconds in memory, longer only when its
    /// pages must first be read from storage, as it would for the same copy done in managed code.
    /// </summary>
    private const nuint ShortCopy = 64 << 10;

    [LibraryImport(Library, EntryPoint = "vnvdimm_guarded_copy")]
    [SuppressGCTransition]
    private static unsafe partial int CopyShort(byte* destination, byte* source, nuint length, nint* faultAddress);

    [LibraryImport(Library, EntryPoint = "vnvdimm_guarded_is_zero")]
    private static unsafe partial int IsZero(byte* source, nuint length, int* zero, nint* faultAddress);

    [LibraryImport(Library, EntryPoint = "vnvdimm_guarded_fill")]
    private static unsafe partial int Fill(byte* destination, int value, nuint length, nint* faultAddress);
}
