using Microsoft.Extensions.Logging;
using Vnvdimm.Options;

namespace Vnvdimm.HostMemory;

/// <summary>An opened, mapped <c>memory-backend-file</c> or <c>memory-backend-ram</c>.</summary>
public sealed class MemoryBackend : IDisposable
{
    private MemoryBackend(BackendDescriptor descriptor, HostMapping mapping, BackingFile? file, bool mapSync, Libpmem? libpmem)
    {
        Descriptor = descriptor;
        Mapping = mapping;
        File = file;
        MapSync = mapSync;
        Writes = new DurableWrites(descriptor.Id, mapping, DurableWrites.For(descriptor.Options, libpmem is not null, mapSync), libpmem);
        DiscardData = descriptor.Options.DiscardData;
        Preallocated = descriptor.Options.Prealloc;
    }

    public BackendDescriptor Descriptor { get; }
    public BackendOptions Options => Descriptor.Options;
    public string Id => Descriptor.Id;
    public ulong Size => Descriptor.Size;
    public HostMapping Mapping { get; }

    /// <summary>The file of a <c>memory-backend-file</c>; null for RAM.</summary>
    public BackingFile? File { get; }

    /// <summary>True when the file is mapped with MAP_SYNC: CPU cache flushes reach the media.</summary>
    public bool MapSync { get; }

    /// <summary>How the emulator's own writes to this backend are made durable.</summary>
    public DurableWrites Writes { get; }

    public WriteDurability Durability => Writes.Durability;

    /// <summary>Whether the file is where guest writes land: a shared file mapping (holes there are zeros).</summary>
    public bool SharesFile => File is not null && Options.Share;

    /// <summary>Whether the content is punched out when the backend goes; QOM may change it at run time, as in QEMU.</summary>
    public bool DiscardData { get; set; }

    /// <summary>Whether every page has been faulted in (prealloc=on at creation or later through QOM).</summary>
    public bool Preallocated { get; private set; }

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
                $"pmem=on: lack of libpmem support ({name} could not be loaded; install Debian's libpmem1): " +
                $"vnvdimm can't ensure the persistence of its own writes to '{options.Id}'", options.Location);
        }

        if (!options.IsFile)
        {
            var memory = BackendMapper.MapAnonymous(descriptor);
            PopulateOrDispose(memory, options);
            return new MemoryBackend(descriptor, memory, null, false, libpmem);
        }

        var file = BackingFile.Open(descriptor, out created);
        try
        {
            var (mapping, mapSync) = BackendMapper.MapFile(descriptor, file, logger);
            PopulateOrDispose(mapping, options);
            return new MemoryBackend(descriptor, mapping, file, mapSync, libpmem);
        }
        catch
        {
            file.Dispose();
            if (created)
                System.IO.File.Delete(options.MemPath!);
            created = false;
            throw;
        }
    }

    private static void PopulateOrDispose(HostMapping mapping, BackendOptions options)
    {
        try
        {
            if (options.Prealloc)
                BackendMapper.Populate(mapping, options);
        }
        catch
        {
            mapping.Dispose();
            throw;
        }
    }

    /// <summary>Faults every page in without changing content, as prealloc=on does at creation; a failure leaves the machine as it was.</summary>
    public void Preallocate()
    {
        BackendMapper.Populate(Mapping, Options);
        Preallocated = true;
    }

    public void Dispose()
    {
        if (DiscardData && !Options.Readonly)
            Mapping.Discard();
        Mapping.Dispose();
        File?.Dispose();
    }
}
