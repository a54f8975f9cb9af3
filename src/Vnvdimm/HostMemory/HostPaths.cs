namespace Vnvdimm.HostMemory;

/// <summary>Paths as open(2) sees them.</summary>
public static class HostPaths
{
    /// <summary>The file a path names, its symbolic links followed to the end (itself when it is none, or dangles).</summary>
    public static FileInfo Resolved(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target ? target : info;
    }

    /// <summary>
    /// Whether the path (links followed) is a regular file: a FIFO or a device opened to read would block
    /// or stream, so tools that read a backing file refuse anything else before opening it.
    /// </summary>
    public static bool IsRegularFile(string path) => Libc.FileType(path) == Libc.FileTypeRegular;
}
