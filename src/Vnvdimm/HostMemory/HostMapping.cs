namespace Vnvdimm.HostMemory;

/// <summary>
/// An mmap'ed range of host memory. Nothing is touched when it is created, so a sparse
/// multi-terabyte file costs address space only.
/// </summary>
public sealed unsafe class HostMapping : IDisposable
{
    private nint _address;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle? _file;
    private readonly bool _shared;

    private readonly FileSizeWatch? _sizeWatch;

    private HostMapping(nint address, ulong length, bool writable, Microsoft.Win32.SafeHandles.SafeFileHandle? file, bool shared)
    {
        _address = address;
        Length = length;
        Writable = writable;
        _file = file;
        _shared = shared;
        if (file is not null && FaultGuard.Active)
            _sizeWatch = FileSizeWatch.Start(file);
    }

    public ulong Length { get; }

    public bool Writable { get; }

    public nint Address => _address != 0 ? _address : throw new ObjectDisposedException(nameof(HostMapping));

    /// <summary>
    /// Maps <paramref name="length"/> bytes of <paramref name="fd"/> (or anonymous memory when fd is -1)
    /// at an address aligned to <paramref name="align"/>, reserving the slack first as QEMU does.
    /// </summary>
    public static HostMapping Map(int fd, ulong length, ulong align, int prot, int flags) => Map(null, fd, length, align, prot, flags);

    /// <summary>
    /// The same for a file, which the mapping then guards: its <see cref="Read"/>, <see cref="Write"/> and
    /// <see cref="Fill"/> fail with <see cref="StorageFault"/> where an access through the mapping would
    /// raise SIGBUS (a truncated file; for a shared mapping, a full filesystem).
    /// </summary>
    public static HostMapping Map(Microsoft.Win32.SafeHandles.SafeFileHandle? file, int fd, ulong length, ulong align, int prot, int flags)
    {
        ulong reserve = length + (align > (ulong)Libc.PageSize ? align : 0);
        nint reserved = Libc.Mmap(0, (nuint)reserve, Libc.ProtNone, Libc.MapPrivate | Libc.MapAnonymous | Libc.MapNoReserve, -1, 0);
        if (reserved == Libc.MapFailed)
            throw new MappingException(System.Runtime.InteropServices.Marshal.GetLastPInvokeError());

        nint aligned = (nint)(((ulong)reserved + align - 1) & ~(align - 1));
        nint mapped = Libc.Mmap(aligned, (nuint)length, prot, flags | Libc.MapFixed, fd, 0);
        if (mapped == Libc.MapFailed)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            Libc.Munmap(reserved, (nuint)reserve);
            throw new MappingException(errno);
        }
        if (aligned != reserved)
            Libc.Munmap(reserved, (nuint)(aligned - reserved));
        nint end = aligned + (nint)length;
        nint reservedEnd = reserved + (nint)reserve;
        if (reservedEnd > end)
            Libc.Munmap(end, (nuint)(reservedEnd - end));
        // MAP_SHARED_VALIDATE (3) has the MAP_SHARED bit too.
        return new HostMapping(aligned, length, (prot & Libc.ProtWrite) != 0, file, (flags & Libc.MapShared) != 0);
    }

    /// <summary>Dirty tracking works in 64 KiB granules: fine enough for precopy, a small bitmap for terabytes.</summary>
    public const int DirtyGranuleShift = 16;
    public const ulong DirtyGranule = 1UL << DirtyGranuleShift;

    private ulong[]? _dirty;
    private ulong[]? _everWritten;

    /// <summary>
    /// Keeps, for the life of the mapping, which granules were ever written: for anonymous RAM,
    /// the rest is known to be zero without touching it (reading it would fault in zero pages).
    /// </summary>
    public void TrackEverWritten() => _everWritten = new ulong[(Granules + 63) / 64];

    /// <summary>The stretches ever written (whole mapping when not tracked), in granules.</summary>
    public IEnumerable<(ulong Offset, ulong Length)> EverWrittenExtents()
    {
        if (_everWritten is not { } bits)
        {
            yield return (0, Length);
            yield break;
        }
        ulong? start = null;
        for (ulong g = 0; g <= Granules; g++)
        {
            bool written = g < Granules && (Volatile.Read(ref bits[g >> 6]) & (1UL << (int)(g & 63))) != 0;
            if (written && start is null)
                start = g;
            else if (!written && start is ulong s)
            {
                ulong offset = s << DirtyGranuleShift;
                yield return (offset, Math.Min(Length, g << DirtyGranuleShift) - offset);
                start = null;
            }
        }
    }

    public ulong Granules => (Length + DirtyGranule - 1) >> DirtyGranuleShift;

    /// <summary>Starts recording which granules are written (live migration's dirty log).</summary>
    public void StartDirtyLog() => Volatile.Write(ref _dirty, new ulong[(Granules + 63) / 64]);

    public void StopDirtyLog() => Volatile.Write(ref _dirty, null);

    /// <summary>Records a write; every writer of guest-visible content calls this after writing.</summary>
    public void MarkDirty(ulong offset, ulong length)
    {
        if (length == 0)
            return;
        foreach (var bits in (ReadOnlySpan<ulong[]?>)[Volatile.Read(ref _dirty), _everWritten])
            if (bits is not null)
                for (ulong g = offset >> DirtyGranuleShift, last = (offset + length - 1) >> DirtyGranuleShift; g <= last; g++)
                    Interlocked.Or(ref bits[g >> 6], 1UL << (int)(g & 63));
    }

    /// <summary>The granules written since the last call (or since the log started), and a fresh log.</summary>
    public ulong[] TakeDirty()
    {
        var fresh = new ulong[(Granules + 63) / 64];
        return Interlocked.Exchange(ref _dirty, fresh) ?? throw new InvalidOperationException("dirty log not started");
    }

    /// <summary>Copies content out; on a file, only from what the file still holds.</summary>
    public void Read(ulong offset, Span<byte> destination)
    {
        CheckRange(offset, (ulong)destination.Length);
        fixed (byte* to = destination)
            Copy(to, (byte*)Address + offset, offset, (ulong)destination.Length);
    }

    /// <summary>
    /// Writes content and records it as written. In a shared file the blocks are reserved first (once per
    /// granule), so that a full filesystem is an error (ENOSPC) rather than a fault on a page the mapping cannot get.
    /// </summary>
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        CheckRange(offset, (ulong)data.Length);
        if (_file is not null && _shared)
            ReserveGranules(offset, (ulong)data.Length);
        fixed (byte* from = data)
            Copy((byte*)Address + offset, from, offset, (ulong)data.Length);
        MarkDirty(offset, (ulong)data.Length);
    }

    /// <summary>
    /// Granules of a shared file whose blocks this mapping has allocated (fallocate), so that writing them
    /// through the mapping cannot fault for want of space. The first write to a granule pays one fallocate
    /// (ENOSPC then fails that write); later ones are plain copies. A hole punched here clears its bits.
    /// </summary>
    private ulong[]? _reserved;

    private void ReserveGranules(ulong offset, ulong length)
    {
        if (length == 0)
            return;
        var bits = _reserved ??= new ulong[(Granules + 63) / 64];
        for (ulong g = offset >> DirtyGranuleShift, last = (offset + length - 1) >> DirtyGranuleShift; g <= last; g++)
        {
            if ((Volatile.Read(ref bits[g >> 6]) & (1UL << (int)(g & 63))) != 0)
                continue;
            ulong start = g << DirtyGranuleShift;
            Reserve(start, Math.Min(DirtyGranule, Length - start));
            Interlocked.Or(ref bits[g >> 6], 1UL << (int)(g & 63));
        }
    }

    /// <summary>A hole was punched into [offset, offset+length): its granules must be reserved again before a copy into them.</summary>
    public void Unreserve(ulong offset, ulong length)
    {
        if (_reserved is not { } bits || length == 0)
            return;
        for (ulong g = offset >> DirtyGranuleShift, last = (offset + length - 1) >> DirtyGranuleShift; g <= last; g++)
            Interlocked.And(ref bits[g >> 6], ~(1UL << (int)(g & 63)));
    }

    /// <summary>Fills a range with one byte value, guarded as <see cref="Write"/> is.</summary>
    public void Fill(ulong offset, ulong length, byte value)
    {
        CheckRange(offset, length);
        if (_file is not null && _shared)
            ReserveGranules(offset, length);
        byte* to = (byte*)Address + offset;
        if (_file is not null && FaultGuard.Active)
        {
            CheckWatchedSize(offset, length);
            if (!FaultGuard.TryFill(to, value, (nuint)length, out nint fault))
            {
                MarkDirty(offset, length); // the pages before the fault took the value
                throw Fault(offset, length, fault);
            }
        }
        else
        {
            CheckBacked(offset, length);
            for (ulong at = 0; at < length; at += 1UL << 30)
                new Span<byte>(to + at, (int)Math.Min(1UL << 30, length - at)).Fill(value);
        }
        MarkDirty(offset, length);
    }

    /// <summary>
    /// A copy between the mapping at <paramref name="offset"/> and other memory. On a file it is guarded:
    /// by the fault guard where it is active (free until a fault), else by a size check before the copy.
    /// </summary>
    private void Copy(byte* to, byte* from, ulong offset, ulong length)
    {
        if (_file is not null && FaultGuard.Active)
        {
            CheckWatchedSize(offset, length);
            if (!FaultGuard.TryCopy(to, from, (nuint)length, out nint fault))
            {
                if (to == (byte*)Address + offset)
                    MarkDirty(offset, length); // a write: the pages before the fault were written
                throw Fault(offset, length, fault);
            }
            return;
        }
        CheckBacked(offset, length);
        Buffer.MemoryCopy(from, to, length, length);
    }

    /// <summary>
    /// The part of a file's last page beyond its end does not fault: it reads as zeros and keeps nothing.
    /// The watched size refuses accesses there (and, for free, everywhere beyond the end).
    /// </summary>
    private void CheckWatchedSize(ulong offset, ulong length)
    {
        if (_sizeWatch is { } watch && (ulong)watch.Size < offset + length)
            throw Truncated(watch.Size, offset, length);
    }

    /// <summary>Makes [offset, offset+length) zero, touching only the megabytes that are not zero already (guarded as <see cref="Fill"/>).</summary>
    public void ClearNonZero(ulong offset, ulong length)
    {
        CheckRange(offset, length);
        for (ulong at = offset; at < offset + length; at += 1UL << 20)
        {
            ulong chunk = Math.Min(1UL << 20, offset + length - at);
            if (!IsZero(at, chunk))
                Fill(at, chunk, 0);
        }
    }

    private bool IsZero(ulong offset, ulong length)
    {
        byte* from = (byte*)Address + offset;
        if (_file is not null && FaultGuard.Active)
        {
            CheckWatchedSize(offset, length);
            return FaultGuard.TryIsZero(from, (nuint)length, out bool zero, out nint fault) ? zero : throw Fault(offset, length, fault);
        }
        CheckBacked(offset, length);
        return new ReadOnlySpan<byte>(from, (int)length).IndexOfAnyExcept((byte)0) < 0;
    }

    /// <summary>Says why a guarded access faulted: the file no longer reaches the page, or it could not be provided.</summary>
    private StorageFault Fault(ulong offset, ulong length, nint faultAddress)
    {
        long size = Libc.FileSize((int)_file!.DangerousGetHandle());
        if ((ulong)size < offset + length)
            return Truncated(size, offset, length);
        long at = faultAddress - Address;
        return new StorageFault($"the backing file could not provide its page at 0x{at & ~(Libc.PageSize - 1):x} for [0x{offset:x}+0x{length:x}]: " +
            "its filesystem is full or failing, or the file was truncated and extended again");
    }

    private static StorageFault Truncated(long size, ulong offset, ulong length) =>
        new($"the backing file ends at 0x{size:x}, before [0x{offset:x}+0x{length:x}]: it was truncated while in use");

    /// <summary>
    /// Makes sure a write through the mapping itself (libpmem's copies) cannot fault: the file reaches the
    /// range and the filesystem has allocated its blocks (fallocate; ENOSPC is an error here, not a SIGBUS later).
    /// </summary>
    public void Reserve(ulong offset, ulong length)
    {
        CheckBacked(offset, length);
        if (_reserved is { } bits && length > 0 && AllReserved(bits, offset, length))
            return;
        if (_file is null || !_shared || length == 0)
            return;
        if (Libc.Fallocate((int)_file.DangerousGetHandle(), Libc.FallocKeepSize, (long)offset, (long)length) != 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno != Libc.Eopnotsupp) // a filesystem without fallocate: nothing to reserve with
                throw new StorageFault($"the backing file cannot hold [0x{offset:x}+0x{length:x}]: {Libc.Describe(errno)}");
        }
    }

    private static bool AllReserved(ulong[] bits, ulong offset, ulong length)
    {
        for (ulong g = offset >> DirtyGranuleShift, last = (offset + length - 1) >> DirtyGranuleShift; g <= last; g++)
            if ((Volatile.Read(ref bits[g >> 6]) & (1UL << (int)(g & 63))) == 0)
                return false;
        return true;
    }

    /// <summary>
    /// After a durable write: the file still reaches what was written (a file truncated inside its last page
    /// keeps no bytes beyond its end, and no fault says so). One system call, worth it where durability is promised.
    /// </summary>
    public void ConfirmBacked(ulong offset, ulong length) => CheckBacked(offset, length);

    /// <summary>A file mapping's pages exist only as far as the file does: beyond its end an access would raise SIGBUS.</summary>
    private void CheckBacked(ulong offset, ulong length)
    {
        CheckRange(offset, length);
        if (_file is null)
            return;
        long size = Libc.FileSize((int)_file.DangerousGetHandle());
        if ((ulong)size < offset + length)
            throw Truncated(size, offset, length);
    }

    public Span<byte> Span(ulong offset, int length)
    {
        CheckRange(offset, (ulong)length);
        return new Span<byte>((byte*)Address + offset, length);
    }

    /// <summary>msync of the pages that hold [offset, offset+length): what makes a shared file durable.</summary>
    public void Sync(ulong offset, ulong length)
    {
        CheckRange(offset, length);
        ulong page = (ulong)Libc.PageSize;
        ulong start = offset & ~(page - 1);
        ulong end = offset + length;
        if (Libc.Msync(Address + (nint)start, (nuint)(end - start), Libc.MsSync) != 0)
            throw new MappingException(System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
    }

    /// <summary>
    /// Faults every page in without changing its content (prealloc=on), writable unless the mapping is
    /// read-only. Where a page cannot be provided (a full filesystem, a truncated file) the kernel says
    /// so with an error instead of the SIGBUS a touch would raise: that error is thrown.
    /// </summary>
    public void Populate(bool writable)
    {
        if (Libc.Madvise(Address, (nuint)Length, writable ? Libc.MadvPopulateWrite : Libc.MadvPopulateRead) == 0)
            return;
        int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        if (errno != Libc.Einval)
            throw new MappingException(errno);
        // Kernels before 5.14 lack MADV_POPULATE_*: touch each page (reading, or rewriting its first byte).
        byte* p = (byte*)Address;
        for (ulong off = 0; off < Length; off += (ulong)Libc.PageSize)
        {
            byte value = System.Threading.Volatile.Read(ref p[off]);
            if (writable)
                System.Threading.Volatile.Write(ref p[off], value);
        }
    }

    /// <summary>Drops the content of the whole range (for a shared file, punches it out of the file).</summary>
    public void Discard() => Libc.Madvise(Address, (nuint)Length, Libc.MadvRemove);

    private void CheckRange(ulong offset, ulong length)
    {
        if (offset > Length || length > Length - offset)
            throw new ArgumentOutOfRangeException(nameof(offset), $"[0x{offset:x}+0x{length:x}] outside a mapping of 0x{Length:x} bytes");
    }

    public void Dispose()
    {
        _sizeWatch?.Dispose();
        nint address = Interlocked.Exchange(ref _address, 0);
        if (address != 0)
            Libc.Munmap(address, (nuint)Length);
    }
}

public sealed class MappingException(int errno) : Exception(Libc.Describe(errno))
{
    public int Errno { get; } = errno;
}
