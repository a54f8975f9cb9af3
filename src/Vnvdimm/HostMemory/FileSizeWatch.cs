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
    private const int InModify = 0x2, InCloexec = 0x80000;

    private readonly SafeFileHandle _file;
    private readonly int _inotify;
    private readonly int _watch;
    private readonly Thread? _thread;
    private long _size;
    private volatile bool _disposed;

    private FileSizeWatch(SafeFileHandle file)
    {
        _file = file;
        _size = Libc.FileSize((int)file.DangerousGetHandle());
        _inotify = InotifyInit1(InCloexec);
        _watch = _inotify < 0 ? -1 : InotifyAddWatch(_inotify, $"/proc/self/fd/{(int)file.DangerousGetHandle()}", InModify);
        if (_watch < 0)
            return;
        _thread = new Thread(Watch) { IsBackground = true, Name = "file size watch" };
        _thread.Start();
    }

    /// <summary>A watch of <paramref name="file"/>, or null where inotify is not available (the guarded accesses then rely on faults alone).</summary>
    public static FileSizeWatch? Start(SafeFileHandle file)
    {
        var watch = new FileSizeWatch(file);
        if (watch._thread is not null)
            return watch;
        watch.Dispose();
        return null;
    }

    /// <summary>The file's size as last seen.</summary>
    public long Size => Volatile.Read(ref _size);

    private unsafe void Watch()
    {
        byte* events = stackalloc byte[4096];
        try
        {
            // Each read returns every event queued since the last: one size check covers them all.
            while (!_disposed)
            {
                nint read = Read(_inotify, events, 4096);
                if (read < 0 && Marshal.GetLastPInvokeError() == Libc.Eintr)
                    continue;
                if (read <= 0 || _disposed)
                    break;
                Volatile.Write(ref _size, Libc.FileSize((int)_file.DangerousGetHandle()));
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _disposed = true;
        if (_watch >= 0)
            InotifyRmWatch(_inotify, _watch); // queues IN_IGNORED: the waiting read returns and the thread ends
        _thread?.Join(TimeSpan.FromSeconds(1));
        if (_inotify >= 0)
            Libc.Close(_inotify);
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
