using Microsoft.Extensions.Logging.Abstractions;
using Vnvdimm.Options;
using Vnvdimm.Testing;
using Vnvdimm.Vmm;

namespace Vnvdimm.Conformance;

/// <summary>
/// Error texts over generated command lines: every key of a valid NVDIMM command line gets hostile
/// values, is dropped, is given bare (QemuOpts' key=on) or twice, and each option gets an unknown key.
/// QEMU 7.2 and vnvdimm must both accept a line or both refuse it with the same whole message; a
/// refused line leaves vnvdimm's folder as it was. The few known deviations are listed with reasons.
/// </summary>
public sealed class GeneratedErrorTests
{
    private const string Uuid = "11111111-2222-3333-4444-555555555555";

    /// <summary>The valid line every case mutates: option, implied key, and its keys in order.</summary>
    private static readonly (string Option, string? Implied, (string Key, string Value)[] Keys)[] Base =
    [
        ("-machine", "type", [("type", "pc"), ("nvdimm", "on"), ("nvdimm-persistence", "cpu")]),
        ("-m", "size", [("size", "2G"), ("slots", "2"), ("maxmem", "4G")]),
        ("-object", "qom-type", [("qom-type", "memory-backend-file"), ("id", "m0"), ("mem-path", "DIR/f1.img"), ("size", "64M"), ("share", "on"),
            ("align", "2M"), ("readonly", "off"), ("discard-data", "off")]),
        ("-device", "driver", [("driver", "nvdimm"), ("id", "nv0"), ("memdev", "m0"), ("label-size", "128K"), ("slot", "1"), ("node", "0"),
            ("unarmed", "off"), ("uuid", Uuid), ("addr", "0x100000000")]),
        ("-object", "qom-type", [("qom-type", "memory-backend-ram"), ("id", "r0"), ("size", "32M"), ("share", "off")]),
    ];

    private static readonly string[] Hostile = ["", "x", "-1", "0", "0x", "1X", "18446744073709551616", "on"];

    // Values for mem-path that stay inside the case's folder.
    private static readonly string[] Paths = ["", "DIR", "DIR/no/such/f.img", "DIR/new.img", "/dev/zero"];

    /// <summary>Deviations from QEMU 7.2 we keep, by case name, with the reason; each must still be a deviation.</summary>
    private static readonly Dictionary<string, string> Known = new()
    {
        ["-object memory-backend-file mem-path='DIR'"] = "QEMU backs the memory with an unnamed temporary file in a folder; vnvdimm refuses: "
            + "an NVDIMM's content that vanishes at exit is better asked for with memory-backend-ram",
        ["-object memory-backend-file mem-path='/dev/zero'"] = "QEMU maps devices (device-DAX, /dev/pmem0, /dev/zero); vnvdimm refuses them "
            + "with a clear message: its size checks, block reservation and migration I/O need a regular file",
    };

    public sealed record Case(string Name, string[] Arguments);

    public static IEnumerable<Case> Generate()
    {
        for (int o = 0; o < Base.Length; o++)
        {
            var (option, implied, keys) = Base[o];
            string label = option == "-object" ? $"{option} {keys[0].Value}" : option;
            for (int k = 0; k < keys.Length; k++)
            {
                string key = keys[k].Key;
                var values = key == "mem-path" ? Paths : Hostile;
                foreach (string value in values)
                    yield return With(o, $"{label} {key}='{value}'",
                        keys.Select((p, i) => i == k ? Item(p.Key, value, implied, i) : Item(p.Key, p.Value, implied, i)));
                yield return With(o, $"{label} without {key}",
                    keys.Where((_, i) => i != k).Select((p, i) => Item(p.Key, p.Value, i == 0 && k != 0 ? implied : null, i)));
                if (key != implied)
                {
                    yield return With(o, $"{label} bare {key}", keys.Select((p, i) => i == k ? p.Key : Item(p.Key, p.Value, implied, i)));
                    yield return With(o, $"{label} {key} twice",
                        keys.Select((p, i) => Item(p.Key, p.Value, implied, i)).Append($"{key}={Hostile[1]}"));
                }
            }
            yield return With(o, $"{label} unknown key", keys.Select((p, i) => Item(p.Key, p.Value, implied, i)).Append("bogus=1"));
        }
    }

    // The implied key is written as QEMU users write it: its bare value in first position.
    private static string Item(string key, string value, string? implied, int position) =>
        position == 0 && key == implied ? value : $"{key}={value}";

    private static Case With(int mutated, string name, IEnumerable<string> items)
    {
        var args = new List<string>();
        for (int o = 0; o < Base.Length; o++)
        {
            args.Add(Base[o].Option);
            args.Add(o == mutated
                ? string.Join(",", items)
                : string.Join(",", Base[o].Keys.Select((p, i) => Item(p.Key, p.Value, Base[o].Implied, i))));
        }
        return new Case(name, [.. args]);
    }

    [SkippableFact]
    public void Qemu_and_vnvdimm_accept_and_refuse_the_same_lines_with_the_same_messages()
    {
        TestMachines.RequireQemu();
        var cases = Generate().ToList();
        var results = new System.Collections.Concurrent.ConcurrentBag<(string Name, string? Qemu, string? Ours, bool FolderKept)>();
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = 2 }, c =>
        {
            using var qemuDir = new TempFolder();
            using var ourDir = new TempFolder();
            qemuDir.Sparse("f1.img", 64L << 20);
            ourDir.Sparse("f1.img", 64L << 20);
            string? qemu = QemuVerdict(c.Arguments, qemuDir);
            var before = Listing(ourDir);
            string? ours = OurVerdict(c.Arguments, ourDir);
            results.Add((c.Name, qemu, ours, ours is null || Listing(ourDir) == before));
        });

        var report = new List<string>();
        foreach (var r in results.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            bool same = r.Qemu == r.Ours;
            if (!r.FolderKept)
                report.Add($"{r.Name}: vnvdimm refused the line but changed its folder");
            if (Known.TryGetValue(r.Name, out string? reason))
            {
                if (same)
                    report.Add($"{r.Name}: listed as a known deviation ({reason}) but now agrees with QEMU: remove it from the list");
            }
            else if (!same)
            {
                report.Add($"{r.Name}:\n    QEMU:    {r.Qemu ?? "(accepted)"}\n    vnvdimm: {r.Ours ?? "(accepted)"}");
            }
        }
        Assert.True(report.Count == 0, $"{report.Count} of {cases.Count} generated lines differ:\n" + string.Join("\n", report));
    }

    private static string[] InFolder(string[] args, TempFolder dir) => [.. args.Select(a => a.Replace("DIR", dir.Path, StringComparison.Ordinal))];

    /// <summary>QEMU's complaint without its program prefix and warnings, the folder written DIR; null when it starts.</summary>
    private static string? QemuVerdict(string[] args, TempFolder dir)
    {
        var outcome = TestMachines.Run(TestMachines.QemuPath!,
            ["-display", "none", "-nodefaults", "-S", "-qmp", "stdio", .. InFolder(args, dir)],
            "{\"execute\":\"qmp_capabilities\"}{\"execute\":\"quit\"}", dir.Path, TimeSpan.FromSeconds(20));
        if (outcome.ExitCode == 0)
            return null;
        // Warnings (a line with ": warning: ", and the "Please use" hint of the short-form one) are not the verdict.
        var lines = new List<string>();
        bool inWarning = false;
        foreach (string line in outcome.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            bool prefixed = line.StartsWith("qemu-system-x86_64: ", StringComparison.Ordinal);
            if (prefixed)
                inWarning = line.Contains(": warning: ", StringComparison.Ordinal);
            if (!inWarning)
                lines.Add(prefixed ? line["qemu-system-x86_64: ".Length..] : line);
        }
        return string.Join("\n", lines).Replace(dir.Path, "DIR", StringComparison.Ordinal);
    }

    /// <summary>What vnvdimm prints after "vnvdimm: " for the line (parse and build, as a start does); null when it starts.</summary>
    private static string? OurVerdict(string[] args, TempFolder dir)
    {
        try
        {
            var parsed = CommandLineParser.Parse(InFolder(args, dir));
            using var machine = MachineBuilder.Build(parsed.Configuration, NullLogger.Instance);
            return null;
        }
        catch (ConfigurationException e)
        {
            return e.ToString().Replace(dir.Path, "DIR", StringComparison.Ordinal);
        }
    }

    // Names, lengths and modification times: a refused line must not create, grow or write a file.
    private static string Listing(TempFolder dir) =>
        string.Join("\n", Directory.EnumerateFileSystemEntries(dir.Path, "*", SearchOption.AllDirectories).Order()
            .Select(f => $"{f} {(File.Exists(f) ? new FileInfo(f).Length : -1)} {File.GetLastWriteTimeUtc(f):O}"));
}
