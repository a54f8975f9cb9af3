using System.Runtime.InteropServices;

namespace Vnvdimm.HostMemory;

/// <summary>
/// PMDK's libpmem, loaded at run time so that a host without it can still run machines that do
/// not ask for <c>pmem=on</c>. VNVDIMM_LIBPMEM names another library file (tests use it to prove
/// the "lack of libpmem support" path). Each instance calls the functions of the library it loaded,
/// through their addresses: no process-wide import resolver decides which library a call reaches.
/// </summary>
public sealed unsafe class Libpmem
{
    public const string DefaultLibraryName = "libpmem.so.1";

    private readonly delegate* unmanaged<nint, nuint, void> _persist;
    private readonly delegate* unmanaged<nint, nint, nuint, nint> _memcpyPersist;

    private Libpmem(string name, nint persist, nint memcpyPersist)
    {
        LibraryName = name;
        _persist = (delegate* unmanaged<nint, nuint, void>)persist;
        _memcpyPersist = (delegate* unmanaged<nint, nint, nuint, nint>)memcpyPersist;
    }

    public string LibraryName { get; }

    public static string ConfiguredName =>
        Environment.GetEnvironmentVariable("VNVDIMM_LIBPMEM") is { Length: > 0 } name ? name : DefaultLibraryName;

    /// <summary>The library <paramref name="name"/>, or null when it cannot be loaded or lacks the API.</summary>
    public static Libpmem? TryLoad(string name)
    {
        if (!NativeLibrary.TryLoad(name, out nint handle))
            return null;
        // A library with the right file name but without the API is as useless as none. It stays loaded
        // (the loader counts references; machines load it once per pmem=on backend).
        if (!NativeLibrary.TryGetExport(handle, "pmem_persist", out nint persist) ||
            !NativeLibrary.TryGetExport(handle, "pmem_memcpy_persist", out nint memcpyPersist))
            return null;
        return new Libpmem(name, persist, memcpyPersist);
    }

    /// <summary>Copies and flushes CPU caches for the destination range (pmem_memcpy_persist(3)).</summary>
    public void CopyPersist(nint destination, ReadOnlySpan<byte> source)
    {
        fixed (byte* from = source)
            _memcpyPersist(destination, (nint)from, (nuint)source.Length);
    }

    /// <summary>Flushes CPU caches for a range already written (pmem_persist(3)).</summary>
    public void Persist(nint address, nuint length) => _persist(address, length);

    public override string ToString() => LibraryName;
}
