using System.Reflection;
using System.Runtime.InteropServices;

namespace Vnvdimm.HostMemory;

/// <summary>
/// PMDK's libpmem, loaded at run time so that a host without it can still run machines that do
/// not ask for <c>pmem=on</c>. VNVDIMM_LIBPMEM names another library file (tests use it to prove
/// the "lack of libpmem support" path); the P/Invoke bindings are redirected to whatever was loaded.
/// </summary>
public sealed partial class Libpmem
{
    public const string DefaultLibraryName = "libpmem.so.1";

    private static readonly object ResolverLock = new();
    private static nint _resolved;

    private Libpmem(string name) => LibraryName = name;

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
        lock (ResolverLock)
        {
            if (_resolved == 0)
                NativeLibrary.SetDllImportResolver(typeof(Libpmem).Assembly, Resolve);
            _resolved = handle;
        }
        return new Libpmem(name);
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? path) =>
        libraryName == DefaultLibraryName ? _resolved : 0;

    /// <summary>Copies and flushes CPU caches for the destination range (pmem_memcpy_persist(3)).</summary>
    public unsafe void CopyPersist(nint destination, ReadOnlySpan<byte> source)
    {
        fixed (byte* src = source)
            MemcpyPersist(destination, (nint)src, (nuint)source.Length);
    }

    /// <summary>Flushes CPU caches for a range already written (pmem_persist(3)).</summary>
    public void Persist(nint address, nuint length) => PmemPersist(address, length);

    [LibraryImport(DefaultLibraryName, EntryPoint = "pmem_persist")]
    private static partial void PmemPersist(nint address, nuint length);

    [LibraryImport(DefaultLibraryName, EntryPoint = "pmem_memcpy_persist")]
    private static partial nint MemcpyPersist(nint destination, nint source, nuint length);

    public override string ToString() => LibraryName;
}
