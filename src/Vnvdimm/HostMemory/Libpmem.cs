using System.Runtime.InteropServices;

namespace Vnvdimm.HostMemory;

/// <summary>
/// PMDK's libpmem, loaded at run time so that a host without it can still run machines that do
/// not ask for <c>pmem=on</c>. The search name can be overridden with VNVDIMM_LIBPMEM (tests use it
/// to prove the "lack of libpmem support" path).
/// </summary>
public sealed class Libpmem
{
    public const string DefaultLibraryName = "libpmem.so.1";

    private readonly nint _handle;

    private Libpmem(nint handle, string name)
    {
        _handle = handle;
        LibraryName = name;
    }

    public string LibraryName { get; }

    public static string ConfiguredName =>
        Environment.GetEnvironmentVariable("VNVDIMM_LIBPMEM") is { Length: > 0 } name ? name : DefaultLibraryName;

    public static Libpmem? TryLoad(string name)
    {
        if (!NativeLibrary.TryLoad(name, out nint handle))
            return null;
        // A library with the right file name but without the API is as useless as none.
        if (!NativeLibrary.TryGetExport(handle, "pmem_persist", out _) ||
            !NativeLibrary.TryGetExport(handle, "pmem_memcpy_persist", out _))
            return null;
        return new Libpmem(handle, name);
    }

    public override string ToString() => $"{LibraryName} (0x{_handle:x})";
}
