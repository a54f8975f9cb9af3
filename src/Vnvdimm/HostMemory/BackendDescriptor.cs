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
            alignment = FileAlignment(options.Align);
            if (options.Size < page)
                throw new ConfigurationException($"memory size 0x{options.Size:x} must be equal to or larger than page size 0x{page:x}");
        }
        ulong size = (options.Size + page - 1) & ~(page - 1);
        return new BackendDescriptor(options, size, alignment);
    }

    /// <summary>The alignment a file backend's <c>align=</c> gives (0: the page size), refused in QEMU's words.</summary>
    public static ulong FileAlignment(ulong align)
    {
        ulong page = (ulong)Libc.PageSize;
        if (align % page != 0)
            throw new ConfigurationException($"alignment 0x{align:x} must be multiples of page size 0x{page:x}");
        if (align != 0 && !BitOperations.IsPow2(align))
            throw new ConfigurationException($"alignment 0x{align:x} must be a power of two");
        return Math.Max(page, align);
    }
}
