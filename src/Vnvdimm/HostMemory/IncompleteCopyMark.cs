using System.Text;

namespace Vnvdimm.HostMemory;

/// <summary>
/// The durable mark that a backing file holds a migration copy that did not complete: a file next to it,
/// <c>PATH.vnvdimm-incomplete</c>, saying when and why. An incoming migration sets it before it changes
/// the file and removes it only once the copy is complete and durable, so a destination that failed
/// half-way can never be taken for a good one. Starting a machine on a marked file is refused (except
/// as the destination of a new migration, which rewrites it); deleting the mark accepts the file as it is.
/// </summary>
public static class IncompleteCopyMark
{
    public const string Suffix = ".vnvdimm-incomplete";

    public static string PathFor(string memPath) => memPath + Suffix;

    /// <summary>What the mark says, or null when the file is not marked.</summary>
    public static string? Read(string memPath)
    {
        try
        {
            return File.ReadAllText(PathFor(memPath)).Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return null; // a folder we may not read: opening the file itself will say so, in the C library's words
        }
    }

    /// <summary>Marks the file, durably (the mark and its directory entry are synced) before the caller writes into it.</summary>
    public static void Set(string memPath, string why)
    {
        string mark = PathFor(memPath);
        using (var handle = File.OpenHandle(mark, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, Encoding.UTF8.GetBytes($"{DateTimeOffset.UtcNow:u} {why}\n"), 0);
            RandomAccess.FlushToDisk(handle);
        }
        SyncDirectory(mark);
    }

    /// <summary>Removes the mark, durably: the copy it stood for is complete.</summary>
    public static void Clear(string memPath)
    {
        string mark = PathFor(memPath);
        if (!File.Exists(mark))
            return;
        File.Delete(mark);
        SyncDirectory(mark);
    }

    private static void SyncDirectory(string path)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        int fd = Libc.Open(folder, Libc.ORdonly | Libc.ODirectory);
        if (fd < 0)
            return; // nothing to sync through: the file's own sync stands
        try
        {
            Libc.Fsync(fd);
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
