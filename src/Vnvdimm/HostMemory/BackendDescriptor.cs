using System.Numerics;
using Vnvdimm.Options;

namespace Vnvdimm.HostMemory;

/// <summary>
/// What the machine layout needs to know of a backend before anything is opened or mapped:
/// its size and the alignment its guest address must honour.
/// </summary>
public sealed record BackendDescriptor(BackendOptions Options, ulong Size, ulong Alignment)
{
    /// <summary>Anonymous memory is aligned for transparent huge pages, as in QEMU on x86-64.</summary>
    public const ulong AnonymousAlignment = 2UL << 20;

    public string Id => Options.Id;
    public bool Readonly => Options.Readonly;

    public static BackendDescriptor From(BackendOptions options)
    {
        ulong page = (ulong)Libc.PageSize;
        ulong alignment = AnonymousAlignment;
        if (options.IsFile)
        {
            if (options.Align % page != 0)
                throw new ConfigurationException($"alignment 0x{options.Align:x} must be multiples of page size 0x{page:x}");
            if (options.Align != 0 && !BitOperations.IsPow2(options.Align))
                throw new ConfigurationException($"alignment 0x{options.Align:x} must be a power of two");
            alignment = Math.Max(page, options.Align);
            if (options.Size < page)
                throw new ConfigurationException($"memory size 0x{options.Size:x} must be equal to or larger than page size 0x{page:x}");
        }
        ulong size = (options.Size + page - 1) & ~(page - 1);
        return new BackendDescriptor(options, size, alignment);
    }
}
