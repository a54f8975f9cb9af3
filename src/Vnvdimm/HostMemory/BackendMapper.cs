using Microsoft.Extensions.Logging;
using Vnvdimm.Options;

namespace Vnvdimm.HostMemory;

/// <summary>Maps a backend's memory: its file (MAP_SYNC first for pmem=on, the page cache where that is refused) or anonymous memory.</summary>
internal static class BackendMapper
{
    public static (HostMapping Mapping, bool MapSync) MapFile(BackendDescriptor descriptor, BackingFile file, ILogger logger)
    {
        var options = descriptor.Options;
        int prot = options.Readonly ? Libc.ProtRead : Libc.ProtRead | Libc.ProtWrite;
        try
        {
            if (options.Share && options.Pmem && !options.Readonly)
            {
                try
                {
                    var synced = HostMapping.Map(file.Handle, file.Descriptor, descriptor.Size, descriptor.Alignment, prot,
                        Libc.MapSharedValidate | Libc.MapSync);
                    return (synced, true);
                }
                catch (MappingException e) when (e.Errno is Libc.Eopnotsupp or Libc.Einval)
                {
                    logger.LogWarning("{Location}: {Path} is not a DAX file (MAP_SYNC refused: {Reason}); mapped without MAP_SYNC, " +
                        "so guest writes reach the page cache, not the media", options.Location, options.MemPath, e.Message);
                }
            }
            int flags = options.Share ? Libc.MapShared : Libc.MapPrivate | Libc.MapNoReserve;
            return (HostMapping.Map(file.Handle, file.Descriptor, descriptor.Size, descriptor.Alignment, prot, flags), false);
        }
        catch (MappingException e)
        {
            throw new ConfigurationException($"unable to map backing store for guest RAM: {e.Message}");
        }
    }

    public static HostMapping MapAnonymous(BackendDescriptor descriptor)
    {
        int flags = Libc.MapAnonymous | (descriptor.Options.Share ? Libc.MapShared : Libc.MapPrivate | Libc.MapNoReserve);
        try
        {
            return HostMapping.Map(-1, descriptor.Size, descriptor.Alignment, Libc.ProtRead | Libc.ProtWrite, flags);
        }
        catch (MappingException e)
        {
            // QEMU's words for memory it cannot have (it aborts for sizes that wrap; this says so instead).
            throw new ConfigurationException($"cannot set up guest memory '{descriptor.Options.Id}': " +
                (e.Errno == Libc.Einval ? "Cannot allocate memory" : e.Message));
        }
    }

    /// <summary>prealloc=on: QEMU's words when the memory cannot be had (the kernel's reason appended, as QEMU appends errno's).</summary>
    public static void Populate(HostMapping mapping, BackendOptions options)
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
}
