using Vnvdimm.Testing;

namespace Vnvdimm.Conformance;

/// <summary>
/// The help options against QEMU 7.2's own output: identical where vnvdimm has all QEMU has (the
/// nvdimm device), QEMU's lines in QEMU's order where vnvdimm has a part (backends, machine types,
/// devices, objects). Both print on standard output and exit 0.
/// </summary>
public sealed class HelpConformanceTests
{
    private static (string Qemu, string Ours) Both(string option, string value)
    {
        TestMachines.RequireQemu();
        var qemu = TestMachines.Run(TestMachines.QemuPath!, [option, value], "", null, TimeSpan.FromSeconds(30));
        var ours = TestMachines.RunVnvdimm([option, value]);
        Assert.Equal((0, 0), (qemu.ExitCode, ours.ExitCode));
        Assert.Equal("", ours.Stderr);
        return (qemu.Stdout, ours.Stdout);
    }

    [SkippableFact]
    public void Nvdimm_device_help_is_qemus_exactly()
    {
        var (qemu, ours) = Both("-device", "nvdimm,help");
        Assert.Equal(qemu, ours);
    }

    [SkippableTheory]
    [InlineData("-object", "memory-backend-file,help")]
    [InlineData("-object", "memory-backend-ram,help")]
    [InlineData("-object", "help")]
    [InlineData("-machine", "help")]
    [InlineData("-device", "help")]
    [InlineData("-chardev", "help")]
    public void Other_help_is_qemus_lines_in_qemus_order_for_what_vnvdimm_has(string option, string value)
    {
        var (qemu, ours) = Both(option, value);
        var qemuLines = qemu.Split('\n').ToList();
        int at = -1;
        foreach (string line in ours.Split('\n').Where(l => l.Length > 0))
        {
            int found = qemuLines.FindIndex(at + 1, l => l == line);
            Assert.True(found > at, $"'{line}' is not QEMU's, or not in QEMU's order:\n{qemu}");
            at = found;
        }
    }
}
