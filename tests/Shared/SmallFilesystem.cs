using System.Diagnostics;

namespace Vnvdimm.Testing;

/// <summary>
/// A tmpfs of a few MiB mounted on a fresh folder, for storage faults: a filesystem smaller than the
/// backend that lives on it. Needs root (CI runs as root); elsewhere the test skips, or fails under CI.
/// </summary>
public sealed class SmallFilesystem : IDisposable
{
    public SmallFilesystem(int mebibytes)
    {
        Prerequisite.Require(Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root",
            "mounting a small tmpfs needs root (run the tests as root, as CI does)");
        Path = Directory.CreateTempSubdirectory("vnvdimm-tmpfs-").FullName;
        Run("mount", "-t", "tmpfs", "-o", $"size={mebibytes}M", "tmpfs", Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Fills what is left of the filesystem with a file of its own.</summary>
    public void FillUp(string name = "filler")
    {
        using var filler = new FileStream(File(name), FileMode.CreateNew);
        try
        {
            for (int i = 0; i < 1024; i++)
                filler.Write(new byte[1 << 20]);
            filler.Flush();
        }
        catch (IOException)
        {
        }
    }

    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    private static void Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            Prerequisite.Missing($"{program} {string.Join(' ', args)} failed: {error.Trim()}");
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        Directory.Delete(Path, recursive: true);
    }
}
