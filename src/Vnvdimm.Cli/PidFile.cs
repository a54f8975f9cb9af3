using Vnvdimm.Options;

namespace Vnvdimm.Cli;

/// <summary>
/// -pidfile: the process id, in a file this process holds locked while it runs (a second instance with
/// the same file is refused, as QEMU refuses it) and removes when it exits.
/// </summary>
public sealed partial class PidFile : IDisposable
{
    private readonly string _path;
    private readonly FileStream _stream;

    private PidFile(string path, FileStream stream)
    {
        _path = path;
        _stream = stream;
    }

    public static PidFile Create(string path)
    {
        FileStream stream;
        try
        {
            // Opened without truncating: the content is replaced only once the lock is ours.
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ConfigurationException($"cannot create PID file: {Vnvdimm.HostMemory.HostErrors.Describe(e, path)}", $"-pidfile {path}");
        }
        // A POSIX record lock, as QEMU takes it: readers (cat, .NET's shared opens) are not in its way.
        if (Lockf((int)stream.SafeFileHandle.DangerousGetHandle(), TestAndLock, 0) != 0)
        {
            stream.Dispose();
            throw new ConfigurationException("Cannot lock pid file: Resource temporarily unavailable", $"-pidfile {path}");
        }
        try
        {
            stream.SetLength(0);
            stream.Write(System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n"));
            stream.Flush();
        }
        catch (IOException e)
        {
            stream.Dispose();
            throw new ConfigurationException($"cannot create PID file: {Vnvdimm.HostMemory.HostErrors.Describe(e, path)}", $"-pidfile {path}");
        }
        return new PidFile(path, stream);
    }

    private const int TestAndLock = 2; // F_TLOCK

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "lockf", SetLastError = true)]
    private static partial int Lockf(int fd, int command, long length);

    public void Dispose()
    {
        try
        {
            File.Delete(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a pidfile someone removed or replaced: nothing of ours to clean
        }
        _stream.Dispose();
    }
}
