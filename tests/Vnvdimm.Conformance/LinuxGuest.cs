using System.Text.Json.Nodes;
using Vnvdimm.Testing;

namespace Vnvdimm.Conformance;

/// <summary>
/// The Linux test guest (Debian's 6.1 kernel, its NVDIMM, device-DAX and ext4 drivers, ndctl and mkfs.ext4; built by
/// tests/linux-guest/prepare.sh, which ./test.sh runs), booted by QEMU without KVM on the machine options given.
/// </summary>
public static class LinuxGuest
{
    private static readonly string Folder = Environment.GetEnvironmentVariable("VNVDIMM_LINUX_GUEST") is { Length: > 0 } folder
        ? folder
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "vnvdimm", "linux-guest");

    /// <summary>Why the guest cannot run here, or null.</summary>
    public static string? Missing =>
        TestMachines.QemuPath is null ? TestMachines.QemuMissing
        : !File.Exists(Path.Combine(Folder, "vmlinuz")) || !File.Exists(Path.Combine(Folder, "initrd"))
            ? $"no Linux test guest in {Folder} (run tests/linux-guest/prepare.sh)"
            : null;

    /// <summary>What the guest printed: <c>ndctl list -DRN</c> and, after the check action, its check lines.</summary>
    public sealed record Report(JsonNode Listing, IReadOnlyList<string> Checks, string Console);

    /// <summary>Boots the guest with <paramref name="parameters"/> on its kernel command line (vnvdimm.action=... and friends).</summary>
    public static Report Boot(IEnumerable<string> machine, string parameters)
    {
        var outcome = TestMachines.Run(TestMachines.QemuPath!,
        [
            .. machine,
            "-kernel", Path.Combine(Folder, "vmlinuz"), "-initrd", Path.Combine(Folder, "initrd"),
            "-append", $"console=ttyS0 panic=-1 quiet {parameters}",
            "-display", "none", "-nodefaults", "-serial", "stdio", "-no-reboot",
        ], "", null, TimeSpan.FromMinutes(4));
        string output = outcome.Stdout;
        string? listing = Between(output, "@@NDCTL-BEGIN@@", "@@NDCTL-END@@");
        Assert.True(listing is not null, $"the Linux guest printed no listing:\n{output}\n{outcome.Stderr}");
        string checks = Between(output, "@@CHECKS-BEGIN@@", "@@CHECKS-END@@") ?? "";
        return new Report(JsonNode.Parse(listing)!,
            [.. checks.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => !l.StartsWith('['))],
            output);
    }

    private static string? Between(string text, string begin, string end)
    {
        int from = text.IndexOf(begin, StringComparison.Ordinal), to = text.IndexOf(end, StringComparison.Ordinal);
        return from >= 0 && to > from ? text[(from + begin.Length)..to] : null;
    }
}
