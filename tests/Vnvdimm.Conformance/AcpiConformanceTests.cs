using Vnvdimm.Testing;

namespace Vnvdimm.Conformance;

/// <summary>
/// The same command line started on QEMU and on vnvdimm: the guest must read the same fw_cfg files
/// and the same NFIT and SRAT, byte for byte (structure order aside).
/// </summary>
public sealed class AcpiConformanceTests
{
    // Each configuration is started once per machine and read by all three tests.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<(GuestSnapshot, GuestSnapshot)>> Cache = new();

    private static (GuestSnapshot Qemu, GuestSnapshot Ours) Both(string configuration) => Snapshots(configuration);

    /// <summary>What QEMU's and vnvdimm's guests read at start for a configuration, read once per test run.</summary>
    internal static (GuestSnapshot Qemu, GuestSnapshot Ours) Snapshots(string configuration)
    {
        TestMachines.RequireQemu();
        return Cache.GetOrAdd(configuration, c => new Lazy<(GuestSnapshot, GuestSnapshot)>(() => Start(c))).Value;
    }

    private static (GuestSnapshot Qemu, GuestSnapshot Ours) Start(string configuration)
    {
        using var folder = new TempFolder();
        string[] args = MachineConfigurations.ByName(configuration).Arguments(folder);
        GuestSnapshot qemu, ours;
        using (var q = TestMachines.StartQemu(args))
            qemu = GuestSnapshot.Take(q);
        using (var v = TestMachines.StartVnvdimm(args))
            ours = GuestSnapshot.Take(v);
        return (qemu, ours);
    }

    // NFIT: 36-byte header plus 4 reserved bytes, then the structures.
    [SkippableTheory]
    [MemberData(nameof(MachineConfigurations.Names), MemberType = typeof(MachineConfigurations))]
    public void Nfit_matches_qemu(string configuration) => AssertSameTable(configuration, "NFIT", 40, GuestSnapshot.NfitLength);

    // SRAT: 36-byte header plus 12 reserved bytes, then the affinity structures.
    [SkippableTheory]
    [MemberData(nameof(MachineConfigurations.Names), MemberType = typeof(MachineConfigurations))]
    public void Srat_matches_qemu(string configuration) => AssertSameTable(configuration, "SRAT", 48, GuestSnapshot.SratLength);

    // The NVDIMM SSDT holds no per-device order: it must be QEMU's byte for byte (MEMA is patched by the loader).
    [SkippableTheory]
    [MemberData(nameof(MachineConfigurations.Names), MemberType = typeof(MachineConfigurations))]
    public void Nvdimm_ssdt_matches_qemu(string configuration)
    {
        var (qemu, ours) = Both(configuration);
        var expected = qemu.Tables.SingleOrDefault(t => t.Signature == "SSDT" && t.OemTableId.StartsWith("NVDIMM", StringComparison.Ordinal));
        var actual = ours.Tables.SingleOrDefault(t => t.Signature == "SSDT");
        Assert.Equal(expected is null, actual is null);
        if (expected is not null)
            Assert.Equal(Convert.ToHexString(expected.Bytes), Convert.ToHexString(actual!.Bytes));
    }

    private static void AssertSameTable(string configuration, string signature, int structuresOffset, Func<byte[], int, int> lengthAt)
    {
        var (qemu, ours) = Both(configuration);
        var expected = qemu.Table(signature);
        var actual = ours.Table(signature);
        Assert.Equal(expected is null, actual is null);
        if (expected is not null)
            Assert.Equal(GuestSnapshot.Canonical(expected, structuresOffset, lengthAt), GuestSnapshot.Canonical(actual!, structuresOffset, lengthAt));
    }

    [SkippableTheory]
    [MemberData(nameof(MachineConfigurations.Names), MemberType = typeof(MachineConfigurations))]
    public void Acpi_fw_cfg_files_match_qemu(string configuration)
    {
        var (qemu, ours) = Both(configuration);
        foreach (string name in GuestSnapshot.AcpiFiles)
        {
            Assert.Equal(qemu.Files.ContainsKey(name), ours.Files.ContainsKey(name));
            if (qemu.Files.TryGetValue(name, out uint size))
                Assert.True(size == ours.Files[name], $"{name}: QEMU {size} bytes, vnvdimm {ours.Files[name]} bytes");
        }
    }
}
