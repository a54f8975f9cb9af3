using Microsoft.Win32.SafeHandles;
using Vnvdimm.Options;

namespace Vnvdimm.HostMemory;

/// <summary>One fact behind the verdict: what was checked, whether it holds, and what to change if not.</summary>
public sealed record PersistenceFinding(string Check, bool Holds, string Detail, string? Remedy);

/// <summary>Whether guest writes to a backend reach persistent media without the emulator's help, and why.</summary>
public sealed record PersistenceVerdict(string BackendId, bool Guaranteed, IReadOnlyList<PersistenceFinding> Findings);

/// <summary>
/// The check QEMU's documentation says it lacks: for a backend, is a guest store that reached the
/// persistence domain durable? That needs the mapping to reach the media (a DAX file mapped with
/// MAP_SYNC, or device-DAX), a shared mapping, and pmem=on with libpmem for the emulator's own writes.
/// Looks only: it creates, maps writable or changes nothing.
/// </summary>
public static class PersistenceCheck
{
    public static PersistenceVerdict Evaluate(BackendOptions backend)
    {
        var findings = new List<PersistenceFinding>();
        if (!backend.IsFile)
        {
            findings.Add(new("file backend", false, "memory-backend-ram lives in host RAM and is lost with the process",
                "use memory-backend-file with mem-path on a DAX file system or a /dev/daxX.Y device"));
            return new PersistenceVerdict(backend.Id, false, findings);
        }

        string path = backend.MemPath!;
        bool deviceDax = IsDeviceDax(path);
        if (deviceDax)
        {
            findings.Add(new("device-DAX", true, $"{path} is a device-DAX character device: mappings reach the media directly", null));
        }
        else if (Directory.Exists(path) || (File.Exists(path) && !HostPaths.IsRegularFile(path)))
        {
            // Never opened: a FIFO would block the check.
            findings.Add(new("regular file", false, $"{path} is {(Directory.Exists(path) ? "a directory" : "not a regular file")}: " +
                "it cannot back guest memory", "give mem-path a regular file (on a DAX file system for persistence) or /dev/daxX.Y"));
        }
        else if (File.Exists(path))
        {
            var (mapSync, why) = ProbeMapSync(path);
            findings.Add(new("MAP_SYNC", mapSync,
                mapSync ? $"{path} accepts MAP_SYNC: it is on a DAX file system, CPU cache flushes reach the media"
                    : $"{path} refuses MAP_SYNC ({why}): it is not on a DAX file system, guest stores stay in the page cache",
                mapSync ? null : "put the file on a file system mounted with -o dax (ext4/xfs on a pmem device), or use /dev/daxX.Y"));
        }
        else
        {
            string folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
            bool dax = MountedWithDax(folder);
            findings.Add(new("DAX file system", dax,
                dax ? $"{folder} is on a file system mounted with dax (MAP_SYNC not probed: {path} does not exist yet)"
                    : $"{folder} is not on a file system mounted with dax; {path} does not exist yet",
                dax ? null : "put the file on a file system mounted with -o dax (ext4/xfs on a pmem device), or use /dev/daxX.Y"));
        }

        if (IncompleteCopyMark.Read(path) is string incomplete)
            findings.Add(new("complete copy", false, $"{path} holds an incomplete migration copy ({incomplete})",
                $"migrate into it again, or delete {IncompleteCopyMark.PathFor(path)} to accept it as it is"));

        findings.Add(new("share=on", backend.Share,
            backend.Share ? "guest writes go to the file (MAP_SHARED)" : "share=off maps the file copy-on-write: guest writes never reach it",
            backend.Share ? null : "add share=on"));

        findings.Add(new("pmem=on", backend.Pmem,
            backend.Pmem ? "the emulator makes its own writes (labels, incoming migration) durable with libpmem"
                : "without pmem=on the emulator treats the file as ordinary storage (vnvdimm still msyncs its own writes to shared files)",
            backend.Pmem ? null : "add pmem=on (QEMU then also maps with MAP_SYNC)"));

        var libpmem = Libpmem.TryLoad(Libpmem.ConfiguredName);
        findings.Add(new("libpmem", libpmem is not null,
            libpmem is not null ? $"{Libpmem.ConfiguredName} loads"
                : $"{Libpmem.ConfiguredName} cannot be loaded: pmem=on fails with 'lack of libpmem support'",
            libpmem is not null ? null : "install libpmem1 (apt-get install libpmem1)"));

        bool reachesMedia = findings[0].Holds;
        bool guaranteed = reachesMedia && backend.Share && backend.Pmem && libpmem is not null;
        return new PersistenceVerdict(backend.Id, guaranteed, findings);
    }

    private static bool IsDeviceDax(string path) =>
        path.StartsWith("/dev/dax", StringComparison.Ordinal) && File.Exists(path)
        && (File.GetAttributes(path) & FileAttributes.Device) != 0;

    /// <summary>Maps one page read-only with MAP_SHARED_VALIDATE|MAP_SYNC: the kernel refuses unless the file is on DAX.</summary>
    private static (bool Works, string Why) ProbeMapSync(string path)
    {
        SafeFileHandle file;
        try
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (false, $"it cannot be opened: {HostErrors.Describe(e, path)}");
        }
        using var owned = file;
        if (RandomAccess.GetLength(file) == 0)
            return (false, "the file is empty");
        nint address = Libc.Mmap(0, (nuint)Libc.PageSize, Libc.ProtRead, Libc.MapSharedValidate | Libc.MapSync, (int)file.DangerousGetHandle(), 0);
        if (address == -1)
            return (false, Libc.Describe(System.Runtime.InteropServices.Marshal.GetLastPInvokeError()));
        Libc.Munmap(address, (nuint)Libc.PageSize);
        return (true, "");
    }

    private static bool MountedWithDax(string folder)
    {
        string? best = null;
        bool dax = false;
        foreach (string line in File.ReadLines("/proc/mounts"))
        {
            var fields = line.Split(' ');
            if (fields.Length < 4 || !(folder == fields[1] || folder.StartsWith(fields[1].TrimEnd('/') + "/", StringComparison.Ordinal)))
                continue;
            if (best is null || fields[1].Length >= best.Length)
            {
                best = fields[1];
                dax = fields[3].Split(',').Any(o => o is "dax" or "dax=always");
            }
        }
        return dax;
    }
}
