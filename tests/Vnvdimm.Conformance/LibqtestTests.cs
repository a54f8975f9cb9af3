using Vnvdimm.Testing;

namespace Vnvdimm.Conformance;

/// <summary>
/// QEMU's own test harness, libqtest (QEMU 7.2's tests/qtest/libqtest.c, built from Debian's source by
/// tests/libqtest/build.sh), runs our C test program (tests/libqtest/nvdimm-test.c) against vnvdimm and
/// against QEMU: machine probing with -machine none, the NFIT through fw_cfg DMA, DSM label calls,
/// hotplug through qtest_qmp and the GPE bit, SIGTERM ending with status 0. What the program observed
/// in both runs must be the same, byte for byte.
/// </summary>
public sealed class LibqtestTests
{
    private static readonly string Program = Path.Combine(
        Environment.GetEnvironmentVariable("VNVDIMM_LIBQTEST") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "vnvdimm", "libqtest"),
        "nvdimm-test");

    private static string? Missing =>
        !File.Exists(Program) ? $"no libqtest test program at {Program} (run tests/libqtest/build.sh)"
        : TestMachines.QemuPath is null ? TestMachines.QemuMissing
        : null;

    /// <summary>
    /// An executable named as libqtest expects a QEMU binary to be named (it derives the target from
    /// "-system-x86_64"), running <paramref name="body"/>.
    /// </summary>
    private static string Binary(TempFolder dir, string kind, string body)
    {
        string folder = Directory.CreateDirectory(dir.File(kind)).FullName;
        string path = Path.Combine(folder, "qemu-system-x86_64");
        File.WriteAllText(path, "#!/usr/bin/env bash\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static (TestMachines.Outcome Outcome, string[] Facts) Run(TempFolder dir, string binary, string name)
    {
        string facts = dir.File($"{name}.facts");
        var outcome = TestMachines.Run(Program, [], "", dir.Path, TimeSpan.FromMinutes(3),
            new Dictionary<string, string> { ["QTEST_QEMU_BINARY"] = binary, ["NVDIMM_FACTS"] = facts });
        return (outcome, File.Exists(facts) ? File.ReadAllLines(facts) : []);
    }

    [SkippableFact]
    public void Libqtest_runs_the_nvdimm_test_against_vnvdimm_and_qemu_with_the_same_observations()
    {
        Prerequisite.Require(Missing);
        using var dir = new TempFolder();
        string vnvdimm = Binary(dir, "vnvdimm", $"exec dotnet '{TestMachines.CliDll}' \"$@\"");
        // Debian's QEMU has no qtest accelerator; its default one with stopped CPUs serves qtest the same way.
        string qemu = Binary(dir, "qemu", $$"""
            args=()
            while (($#)); do
              if [[ $1 == -accel && ${2:-} == qtest ]]; then shift 2; continue; fi
              args+=("$1"); shift
            done
            exec '{{TestMachines.QemuPath}}' -S "${args[@]}"
            """);

        var (ours, ourFacts) = Run(dir, vnvdimm, "vnvdimm");
        Assert.True(ours.ExitCode == 0, $"against vnvdimm:\n{ours.Stdout}\n{ours.Stderr}");
        foreach (string test in new[] { "probe", "nfit", "dsm-labels", "hotplug" })
            Assert.StartsWith("ok ", ours.Stdout.Split('\n').Single(l => l.EndsWith($"/nvdimm/{test}", StringComparison.Ordinal)));
        Assert.DoesNotContain("not ok", ours.Stdout);

        var (theirs, qemuFacts) = Run(dir, qemu, "qemu");
        Assert.True(theirs.ExitCode == 0, $"against QEMU:\n{theirs.Stdout}\n{theirs.Stderr}");
        Assert.Equal(["nfit", "dsm-query", "dsm-label-size", "dsm-set-label", "dsm-get-label", "dsm-no-device", "gpe0-status",
            "hotplugged-addr", "hotplugged-slot", "hotplugged-size"], qemuFacts.Select(f => f.Split(' ')[0]));
        Assert.Equal(qemuFacts, ourFacts);
    }
}
