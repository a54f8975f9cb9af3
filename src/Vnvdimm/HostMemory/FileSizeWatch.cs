using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Vnvdimm.HostMemory;

/// <summary>
/// The size of a mapped file, kept current without a system call per access: a thread waits on
/// inotify for the file's changes (a truncation is one) and reads the size again after each. The fault
/// guard catches an access to a page the file no longer reaches; this catches the rest of a page the
/// file now ends inside, which reads as zeros and forgets what is written there without any fault.
/// A truncation is seen once the thread has woken (microseconds to milliseconds later).
/// </summary>
internal sealed partial class FileSizeWatch : IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly int _watch;
    private long _size;
    private int _disposed;

    private FileSizeWatch(SafeFileHandle file, int watch)
    {
        _file = file;
        _watch = watch;
        Refresh();
    }

    /// <summary>
    /// A watch of <paramref name="file"/>, or null where inotify cannot watch it (no inotify, or the
    /// user's limit of watches reached): the guarded accesses then rely on faults alone.
    /// </summary>
    public static FileSizeWatch? Start(SafeFileHandle file) => Watcher.Shared.Value?.Add(file);

    /// <summary>The file's size as last seen.</summary>
    public long Size => Volatile.Read(ref _size);

    private void Refresh() => Volatile.Write(ref _size, Libc.FileSize((int)_file.DangerousGetHandle()));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            Watcher.Shared.Value?.Remove(this);
    }

    /// <summary>
    /// One inotify instance and one thread for the whole process, whatever the number of backends: the
    /// instances per user are few (128 by default), and a watch per file is all each backend needs.
    /// Process-wide as inotify's limits are; created on the first file mapping.
    /// </summary>
    private sealed partial class Watcher
    {
        private const int InModify = 0x2, InCloexec = 0x80000, EventHeader = 16;

        public static readonly Lazy<Watcher?> Shared = new(Create);

        private readonly int _inotify;
        private readonly Lock _lock = new();
        private readonly Dictionary<int, List<FileSizeWatch>> _byWatch = [];

        private Watcher(int inotify)
        {
            _inotify = inotify;
            new Thread(Run) { IsBackground = true, Name = "file size watch" }.Start();
        }

        private static Watcher? Create()
        {
            int inotify = InotifyInit1(InCloexec);
            return inotify < 0 ? null : new Watcher(inotify);
        }

        public FileSizeWatch? Add(SafeFileHandle file)
        {
            // The same file twice gives the same watch descriptor: each mapping keeps its own entry.
            int watch = InotifyAddWatch(_inotify, $"/proc/self/fd/{(int)file.DangerousGetHandle()}", InModify);
            if (watch < 0)
                return null;
            var entry = new FileSizeWatch(file, watch);
            lock (_lock)
            {
                if (!_byWatch.TryGetValue(watch, out var entries))
                    _byWatch[watch] = entries = [];
                entries.Add(entry);
            }
            entry.Refresh(); // a change between the first size and the registration
            return entry;
        }

        public void Remove(FileSizeWatch entry)
        {
            lock (_lock)
            {
                if (!_byWatch.TryGetValue(entry._watch, out var entries) || !entries.Remove(entry) || entries.Count > 0)
                    return;
                _byWatch.Remove(entry._watch);
                InotifyRmWatch(_inotify, entry._watch);
            }
        }

        private unsafe void Run()
        {
            byte* events = stackalloc byte[8192];
            var changed = new HashSet<int>();
            while (true)
            {
                nint read = Read(_inotify, events, 8192);
                if (read < 0 && Marshal.GetLastPInvokeError() == Libc.Eintr)
                    continue;
                if (read <= 0)
                    return;
                // Every event queued since the last read: one size check per file covers them all.
                changed.Clear();
                for (nint at = 0; at + EventHeader <= read; at += EventHeader + *(int*)(events + at + 12))
                    changed.Add(*(int*)(events + at));
                lock (_lock)
                {
                    foreach (int watch in changed)
                        if (_byWatch.TryGetValue(watch, out var entries))
                            foreach (var entry in entries)
                                entry.Refresh();
                }
            }
        }

        [LibraryImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
        private static partial int InotifyInit1(int flags);

        [LibraryImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        private static partial int InotifyAddWatch(int fd, string path, int mask);

        [LibraryImport("libc", EntryPoint = "inotify_rm_watch", SetLastError = true)]
        private static partial int InotifyRmWatch(int fd, int wd);

        [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
        private static unsafe partial nint Read(int fd, byte* buffer, nuint count);
    }
}
