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
}
