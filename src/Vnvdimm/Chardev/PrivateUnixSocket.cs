using System.Net.Sockets;

namespace Vnvdimm.Chardev;

/// <summary>
/// Binds a Unix socket that only its owner can use (mode 0600) and that appears under its name
/// only once it has that mode: bound under a temporary name, narrowed, then renamed into place.
/// Whoever waits for the path never sees it with the umask's mode.
/// </summary>
public static class PrivateUnixSocket
{
    public static void Bind(Socket socket, string path)
    {
        if (File.Exists(path))
            File.Delete(path); // a stale socket from an earlier run, as QEMU removes it too
        string temporary = $"{path}.{Environment.ProcessId}.tmp";
        if (File.Exists(temporary))
            File.Delete(temporary);
        socket.Bind(new UnixDomainSocketEndPoint(temporary));
        try
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
