using Vnvdimm.Testing;

namespace Vnvdimm.Cli.Tests;

/// <summary>The ./vnvdimm launcher at the repository root, as a newcomer runs it from a fresh clone.</summary>
public sealed class LauncherTests
{
    private static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "vnvdimm")) && File.Exists(Path.Combine(dir.FullName, "vnvdimm.sln")))
                return dir.FullName;
        return null;
    }

    [SkippableFact]
    public void Launcher_builds_the_native_cli_and_runs_the_default_machine()
    {
        string? root = RepositoryRoot();
        Prerequisite.Require(root is not null, "the tests do not run from a checkout");
        using var data = new TempFolder();
        string launcher = Path.Combine(root!, "vnvdimm");

        // Three at once, as a harness starting several machines does: one builds, the others wait for it
        // (they used to publish over each other and run a half-written program).
        var versions = Enumerable.Range(0, 3)
            .Select(_ => Task.Run(() => TestMachines.Run(launcher, ["-version"], "", root, TimeSpan.FromMinutes(8))))
            .ToArray();
        foreach (var version in versions.Select(t => t.Result))
        {
            Assert.True(version.ExitCode == 0, version.Stderr);
            Assert.StartsWith("vnvdimm emulator version", version.Stdout);
        }
        Assert.True(File.Exists(Path.Combine(root!, ".build", "cli", "vnvdimm-cli")));

        // Harnesses that derive the target from the program's name (libqtest) run it through a symlink.
        string alias = data.File("qemu-system-x86_64");
        File.CreateSymbolicLink(alias, launcher);
        var aliased = TestMachines.Run(alias, ["-machine", "help"], "", data.Path, TimeSpan.FromMinutes(1));
        Assert.True(aliased.ExitCode == 0, aliased.Stderr);
        Assert.Contains("pc-i440fx-7.2        Standard PC (i440FX + PIIX, 1996) (default)", aliased.Stdout);

        var machine = TestMachines.Run(launcher, [], "", root, TimeSpan.FromMinutes(1),
            new Dictionary<string, string> { ["VNVDIMM_DATA_DIR"] = data.Path });
        Assert.Equal(0, machine.ExitCode);
        Assert.Contains("0x100000000", machine.Stdout);
    }
}
