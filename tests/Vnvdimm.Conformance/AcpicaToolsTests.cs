using System.Diagnostics;
using Vnvdimm.Guest.Acpi;
using Vnvdimm.Testing;

namespace Vnvdimm.Conformance;

/// <summary>
/// Our SSDT and NFIT through ACPICA's own tools (Debian acpica-tools): iasl disassembles them with
/// the same diagnostics and the same text as QEMU's, and acpiexec loads them without error.
/// </summary>
public sealed class AcpicaToolsTests
{
    private static readonly string? Iasl = Prerequisite.Program("iasl"), Acpiexec = Prerequisite.Program("acpiexec");

    /// <summary>The table as the loader leaves it: checksum filled in.</summary>
    private static byte[] Linked(AcpiTableView table)
    {
        byte[] bytes = (byte[])table.Bytes.Clone();
        bytes[9] = 0;
        bytes[9] = (byte)-bytes.Aggregate(0, (sum, b) => sum + b);
        return bytes;
    }

    private static (string Diagnostics, string Text) Disassemble(TempFolder folder, string name, byte[] table)
    {
        string aml = folder.File(name + ".aml");
        File.WriteAllBytes(aml, table);
        var outcome = TestMachines.Run(Iasl!, ["-d", aml], "", folder.Path);
        Assert.True(outcome.ExitCode == 0, outcome.Stdout + outcome.Stderr);
        string diagnostics = string.Join('\n', (outcome.Stdout + outcome.Stderr).Split('\n')
            .Where(l => l.Contains("Error", StringComparison.OrdinalIgnoreCase) || l.Contains("Warning", StringComparison.OrdinalIgnoreCase)));
        // Drop the banner that names the file and the time of disassembly.
        string text = string.Join('\n', File.ReadAllLines(folder.File(name + ".dsl"))
            .Where(l => !l.StartsWith(" * Disassembly of") && !l.Contains("Disassembler version")));
        return (diagnostics, text);
    }

    [SkippableTheory]
    [MemberData(nameof(MachineConfigurations.Names), MemberType = typeof(MachineConfigurations))]
    public void Iasl_disassembles_our_tables_as_it_does_qemus(string configuration)
    {
        Prerequisite.Require(Iasl is not null, "iasl is not installed (apt-get install acpica-tools)");
        var (qemu, ours) = AcpiConformanceTests.Snapshots(configuration);
        using var folder = new TempFolder();
        foreach (var signature in new[] { "SSDT", "NFIT" })
        {
            var theirs = qemu.Tables.SingleOrDefault(t => t.Signature == signature
                && (signature != "SSDT" || t.OemTableId.StartsWith("NVDIMM", StringComparison.Ordinal)));
            var mine = ours.Table(signature);
            Assert.Equal(theirs is null, mine is null);
            if (mine is null)
                continue;
            var expected = Disassemble(folder, "qemu-" + signature, Linked(theirs!));
            var actual = Disassemble(folder, "ours-" + signature, Linked(mine));
            Assert.DoesNotContain("Error", actual.Diagnostics, StringComparison.OrdinalIgnoreCase);
            // QEMU's SSDT draws one iASL warning (CreateField on the ODAT region field); ours must draw no other.
            Assert.Equal(expected.Diagnostics.Replace("qemu-", ""), actual.Diagnostics.Replace("ours-", ""));
            // Where QEMU orders several NVDIMMs differently, the NFIT text differs in order only (compared as bytes elsewhere).
            if (theirs!.Bytes.AsSpan().SequenceEqual(mine.Bytes))
                Assert.Equal(expected.Text.Replace("qemu-", ""), actual.Text.Replace("ours-", ""));
        }
    }

    // Only machines with nvdimm=on have AML to execute; that the others have no SSDT, as in QEMU, is Nvdimm_ssdt_matches_qemu's to check.
    [SkippableTheory]
    [MemberData(nameof(MachineConfigurations.NvdimmNames), MemberType = typeof(MachineConfigurations))]
    public void Acpiexec_loads_our_tables(string configuration)
    {
        Prerequisite.Require(Acpiexec is not null, "acpiexec is not installed (apt-get install acpica-tools)");
        var (_, ours) = AcpiConformanceTests.Snapshots(configuration);
        Assert.NotNull(ours.Table("SSDT"));
        using var folder = new TempFolder();
        var files = new List<string>();
        foreach (var table in ours.Tables.Where(t => t.Signature is "SSDT" or "NFIT" or "SRAT"))
        {
            string path = folder.File(table.Signature + ".aml");
            File.WriteAllBytes(path, Linked(table));
            files.Add(path);
        }
        var outcome = TestMachines.Run(Acpiexec!, ["-b", "methods", .. files], "", folder.Path, TimeSpan.FromSeconds(60));
        string output = outcome.Stdout + outcome.Stderr;
        Assert.Equal(0, outcome.ExitCode);
        Assert.DoesNotContain("ACPI Error", output);
        Assert.DoesNotContain("Exception", output);
        Assert.Contains(@"\_SB.NVDR.NCAL", output);
        Assert.Contains(@"\_SB.NVDR._FIT", output);
        Assert.Contains(@"\_SB.NVDR.NV00._LSW", output);
    }
}
