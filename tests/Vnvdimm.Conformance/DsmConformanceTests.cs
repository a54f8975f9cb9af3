using Vnvdimm.Guest.Dsm;
using Vnvdimm.Testing;

namespace Vnvdimm.Conformance;

/// <summary>
/// DSM probes on every configuration of the conformance set: QEMU's answers and vnvdimm's must be
/// equal byte for byte (len included), and the label areas of the backing files equal afterwards.
/// Read FIT answers are the one exception: QEMU lists NVDIMMs in the order of a GLib hash table,
/// vnvdimm by slot, so for them len and status must be equal and the whole FIT, reassembled from
/// the chunks, must hold the same structures.
/// </summary>
public sealed class DsmConformanceTests
{
    /// <summary>A page in guest RAM, far from what the fw_cfg client uses.</summary>
    private const ulong PageAddress = 0x100000;

    /// <summary>Each backing file's tail holds its label area (label sizes here are at most 1 MiB).</summary>
    private const int Tail = 1 << 20;

    [SkippableTheory]
    [MemberData(nameof(MachineConfigurations.Names), MemberType = typeof(MachineConfigurations))]
    public void Answers_and_label_areas_match_qemu(string name)
    {
        TestMachines.RequireQemu();
        var configuration = MachineConfigurations.ByName(name);
        using var qemuFolder = new TempFolder();
        using var ourFolder = new TempFolder();

        IReadOnlyList<DsmProbes.Probe> expected;
        using (var qemu = TestMachines.StartQemu(configuration.Arguments(qemuFolder)))
        {
            var probes = new DsmProbes(new DsmClient(qemu, PageAddress));
            probes.Run(configuration.ReadOnlyHandles.ToHashSet());
            expected = probes.Log;
        }

        using (var ours = TestMachines.StartVnvdimm(configuration.Arguments(ourFolder)))
        {
            var client = new DsmClient(ours, PageAddress);
            var qemuFit = new List<byte>();
            var ourFit = new List<byte>();
            foreach (var probe in expected)
            {
                byte[] actual = client.CallRaw(probe.Request).Raw;
                string Describe() =>
                    $"{name}: '{probe.Name}': " +
                    $"QEMU {Convert.ToHexString(probe.Answer[..Math.Min(32, probe.Answer.Length)])} (len {probe.Answer.Length}), " +
                    $"vnvdimm {Convert.ToHexString(actual[..Math.Min(32, actual.Length)])} (len {actual.Length})";
                if (probe.Name.StartsWith(DsmProbes.FitChunk, StringComparison.Ordinal))
                {
                    Assert.True(probe.Answer.AsSpan(0, 8).SequenceEqual(actual.AsSpan(0, 8)), Describe());
                    if (probe.Name.StartsWith(DsmProbes.FitSequence, StringComparison.Ordinal))
                    {
                        qemuFit.AddRange(probe.Answer.Skip(8));
                        ourFit.AddRange(actual.Skip(8));
                    }
                    continue;
                }
                Assert.True(probe.Answer.AsSpan().SequenceEqual(actual), Describe());
            }
            Assert.Equal(FitStructures(qemuFit), FitStructures(ourFit));
        }

        foreach (var file in Directory.GetFiles(qemuFolder.Path, "*.img"))
        {
            string ours = Path.Combine(ourFolder.Path, Path.GetFileName(file));
            Assert.Equal(TailOf(file), TailOf(ours));
        }
    }

    private static List<string> FitStructures(List<byte> fit)
    {
        var structures = new List<string>();
        for (int at = 0; at + 4 <= fit.Count;)
        {
            int length = fit[at + 2] | (fit[at + 3] << 8);
            structures.Add(Convert.ToHexString([.. fit.Skip(at).Take(length)]));
            at += Math.Max(length, 4);
        }
        structures.Sort(StringComparer.Ordinal);
        return structures;
    }

    private static string TailOf(string path)
    {
        using var stream = File.OpenRead(path);
        var tail = new byte[Math.Min(Tail, stream.Length)];
        stream.Seek(-tail.Length, SeekOrigin.End);
        stream.ReadExactly(tail);
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(tail));
    }
}
