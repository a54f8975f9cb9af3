using Microsoft.Win32.SafeHandles;
using Vnvdimm.Cli.Tools;
using Vnvdimm.Cli.Tools.Targets;
using Vnvdimm.Devices;
using Vnvdimm.Guest.Acpi;
using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Namespaces;
using Vnvdimm.Guest.Ndctl;
using Vnvdimm.Guest.Nfit;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;
using Vnvdimm.Vmm;

namespace Vnvdimm.Cli.Layout;

/// <summary>
/// Predicts, from a vnvdimm or QEMU 7.2 command line, where each NVDIMM goes and where its label area
/// sits in its file — by the same planning code a start runs, so the numbers are the machine's — and
/// reads the files (never writes them) for what these options would hide, move or cut off.
/// </summary>
public static class LayoutPlanner
{
    /// <summary>Throws <see cref="ConfigurationException"/> with the machine's complaint when the options would not start.</summary>
    public static LayoutReport Plan(IReadOnlyList<string> args)
    {
        var parsed = CommandLineParser.Parse(args, ForeignOptions.Skip);
        if (parsed.Action != CommandLineAction.Run)
            throw new ToolException("these options ask for help or a version, not for a machine: there is no layout to show");
        MachinePlan plan;
        try
        {
            plan = MachinePlan.Create(parsed.Configuration);
        }
        catch (ConfigurationException e) when (parsed.CpuGiven && e.Message.StartsWith("Address space limit", StringComparison.Ordinal))
        {
            throw new ConfigurationException("this machine reaches AMD's HyperTransport range below 1 TiB, where QEMU's placement depends on " +
                "-cpu's vendor and phys-bits, which the layout planner does not model");
        }
        if (parsed.CpuGiven && plan.Layout.AboveFourGigStart != Platform.MemoryLayout.FourGig)
            throw new ConfigurationException("this machine reaches AMD's HyperTransport range below 1 TiB, where QEMU's placement depends on " +
                "-cpu's vendor");
        var placed = plan.Devices.Placed;

        // The guest's own names (nmemN, regionN) come from the NFIT the machine would publish.
        var topology = PmemTopology.From(NfitView.FromFit(MachineAcpi.BuildNfit(placed, parsed.Configuration.Machine.Persistence).FitBytes()));
        var nvdimms = placed.OrderBy(p => p.Slot)
            .Select(p => Describe(p, placed,
                topology.Dimms.Single(d => d.Handle == p.Handle),
                topology.Regions.Single(r => r.Mappings[0].Dimm.Handle == p.Handle)))
            .ToList();
        var layout = plan.Layout;
        return new LayoutReport(parsed.Configuration.Machine.TypeName, layout.HasDeviceMemory ? layout.DeviceMemory.Base : null, nvdimms,
            [.. parsed.Hidden.Select(n => new LayoutWarning(WarningKind.GuestView, n))], parsed.Notes, parsed.Skipped);
    }

    private static NvdimmLayout Describe(NvdimmPlacement p, IReadOnlyList<NvdimmPlacement> all, GuestDimm dimm, GuestRegion region)
    {
        var backend = p.Backend;
        ulong labelSize = p.Options.LabelSize, pmem = p.Range.Size;
        ulong labelOffset = backend.Size - labelSize;
        var warnings = new List<LayoutWarning>();
        var content = labelSize == 0 ? LabelAreaContent.None : LabelAreaContent.Empty;
        LabelAreaState? labels = null;
        ulong? fileSize = null;

        string? path = backend.Options.MemPath;
        if (path is not null && !backend.Options.Share)
            warnings.Add(new(WarningKind.WritesDiscarded,
                $"share=off: the guest's writes, labels included, stay in this process and never reach {path}"));
        if (path is not null && backend.Options.DiscardData)
            warnings.Add(new(WarningKind.DataDiscarded,
                $"discard-data=on: the content of {path}, labels included, is thrown away when the machine exits"));
        if (path is not null && all.FirstOrDefault(o => o != p && o.Backend.Options.MemPath is string other && SameFile(path, other)) is { } twin)
            warnings.Add(new(WarningKind.FileShared,
                $"{path} also backs {twin.Options.Id ?? $"the NVDIMM in slot {twin.Slot}"}: each NVDIMM overwrites the other's data and labels"));
        if (path is not null && ExistingFile(path) is SafeFileHandle file)
        {
            using (file)
            {
                fileSize = (ulong)RandomAccess.GetLength(file);
                if (fileSize > backend.Size)
                    warnings.Add(new(WarningKind.FileLargerThanSize,
                        $"{path} is 0x{fileSize:x} bytes but size=0x{backend.Size:x}: " +
                        $"the guest never sees the file's last 0x{fileSize - backend.Size:x} bytes" +
                        (labelSize > 0 ? $", and the label area is at 0x{labelOffset:x}, not at the file's end" : "")));
                if (labelSize > 0 && fileSize >= backend.Size)
                {
                    var (state, zero) = LabelSetSearch.ReadArea(file, labelOffset, labelSize);
                    if (state.Initialized)
                    {
                        content = LabelAreaContent.Labels;
                        labels = state;
                        warnings.AddRange(state.Problems.Select(problem => new LayoutWarning(WarningKind.LabelProblem, problem)));
                        warnings.AddRange(CheckAgainstRegion(state, p, all, region, "its label set"));
                    }
                    else if (!zero)
                    {
                        content = LabelAreaContent.Data;
                        warnings.Add(new(WarningKind.LabelAreaHoldsData,
                            $"the label area (file bytes 0x{labelOffset:x}-0x{backend.Size:x}) holds data that is not a label index: " +
                            "the guest's PMEM no longer reaches it, and a guest that initialises labels overwrites it"));
                    }
                }
                if (fileSize > 0)
                    warnings.AddRange(LabelSetsElsewhere(file, fileSize.Value, p, all, region));
                if (fileSize >= pmem)
                    warnings.AddRange(InfoBlocksRefused(path, region, labels));
            }
        }

        return new NvdimmLayout(p.Options.Id, backend.Id, path, p.Slot, p.Handle, dimm.Device, region.Device, p.Range.Base, pmem,
            backend.Size, fileSize, labelOffset, labelSize, backend.Alignment, backend.Size - labelSize - pmem, p.Options.Node,
            backend.Readonly || p.Options.Unarmed, content, VersionName(labels?.Version),
            labels is null ? [] : [.. labels.Labels.Select(l => new LayoutNamespace(l.Uuid.ToString("D"), l.Name, l.Dpa, l.RawSize))],
            warnings);
    }

    /// <summary>
    /// Info blocks Linux would refuse where these options put the NVDIMM: most often an fsdax/devdax namespace that no
    /// longer starts on a 2 MiB guest-physical boundary because an NVDIMM before it changed size.
    /// </summary>
    private static IEnumerable<LayoutWarning> InfoBlocksRefused(string path, GuestRegion region, LabelAreaState? labels)
    {
        using var media = new FileRegionMedia(path, region.Spa.Length, writable: false);
        // Labels this NVDIMM cannot hold are the other warnings' business: only what the info blocks say counts here.
        var refused = new List<string>();
        NdctlListing.Namespaces(region, labels, media, [], checkCookie: false, refused);
        return refused.Select(problem => new LayoutWarning(WarningKind.InfoBlockRefused, problem));
    }

    /// <summary>Label sets left in the file by other options: at its end, or ending where this backend ends but larger or smaller.</summary>
    private static IEnumerable<LayoutWarning> LabelSetsElsewhere(
        SafeFileHandle file, ulong fileSize, NvdimmPlacement p, IReadOnlyList<NvdimmPlacement> all, GuestRegion region)
    {
        var backend = p.Backend;
        ulong labelSize = p.Options.LabelSize;
        ulong[] ends = backend.Size <= fileSize ? [fileSize, backend.Size] : [fileSize];
        foreach (var set in LabelSetSearch.FindEndingAt(file, ends))
        {
            if (labelSize > 0 && set.Offset == backend.Size - labelSize && set.Size == labelSize)
                continue; // the label area these options use
            string what = $"a label set (v{VersionName(set.State.Version)}, {Count(set.State.Labels.Count, "namespace")}) " +
                $"for a {set.Size / 1024} KiB label area sits at file bytes 0x{set.Offset:x}-0x{set.End:x}";
            string keep = $"label-size={set.Size}" + (set.End != backend.Size ? $" and size={set.End}" : "");
            if (labelSize == 0)
                yield return new(WarningKind.LabelsIgnored,
                    $"{what}, but label-size=0: the guest sees those bytes as data and none of the namespaces; to keep them use {keep}");
            else
                yield return new(WarningKind.LabelsElsewhere,
                    $"{what}; these options put the label area at 0x{backend.Size - labelSize:x}-0x{backend.Size:x}, " +
                    $"so the guest will not see those labels; to keep them use {keep}");
            foreach (var w in CheckAgainstRegion(set.State, p, all, region, $"the label set at 0x{set.Offset:x}"))
                yield return w;
        }
    }

    /// <summary>What Linux would make of a label set on this NVDIMM: namespaces cut off by a smaller PMEM, labels for another slot.</summary>
    private static IEnumerable<LayoutWarning> CheckAgainstRegion(
        LabelAreaState state, NvdimmPlacement p, IReadOnlyList<NvdimmPlacement> all, GuestRegion region, string whose)
    {
        ulong pmem = p.Range.Size;
        foreach (var label in state.Labels.Where(l => l.End > pmem))
            yield return new(WarningKind.NamespaceTrimmed,
                $"namespace {label.Uuid} of {whose} spans DPA 0x{label.Dpa:x}-0x{label.End:x}, but this NVDIMM gives 0x{pmem:x} bytes of PMEM: " +
                $"its last 0x{label.End - Math.Max(label.Dpa, pmem):x} bytes are cut off");

        var version = state.Version;
        ulong expected = version == LabelVersion.V1_1 ? region.Cookie1 : region.Cookie2;
        var foreign = state.Labels.Where(l => l.InterleaveSetCookie != expected).ToList();
        if (foreign.Count == 0)
            yield break;
        var cookies = foreign.Select(l => l.InterleaveSetCookie).Distinct().ToList();
        int? slot = cookies.Count == 1 ? SlotWithCookie(cookies[0], version, pmem) : null;
        string origin = slot is int s
            ? $"{(foreign.Count == 1 ? "was" : "were")} written for slot {s} (the interleave-set cookie is that slot's)"
            : $"{(foreign.Count == 1 ? "carries" : "carry")} an interleave-set cookie of no slot";
        yield return new(WarningKind.LabelsForOtherSlot,
            $"{Count(foreign.Count, "label")} of {whose} {origin}; in slot {p.Slot} Linux ignores them" +
            (slot is int use ? $": use slot={use}" + Taken(use, all) : ""));
    }

    private static string Taken(int slot, IReadOnlyList<NvdimmPlacement> all) =>
        all.FirstOrDefault(o => o.Slot == slot) is { } other ? $" (taken now by {other.Options.Id ?? "another NVDIMM"})" : "";

    private static int? SlotWithCookie(ulong cookie, LabelVersion? version, ulong pmem)
    {
        for (int slot = 0; slot < Platform.MemoryLayout.MaxSlots; slot++)
        {
            var region = OfflineRegion.InSlot(pmem, slot);
            if ((version == LabelVersion.V1_1 ? region.Cookie1 : region.Cookie2) == cookie)
                return slot;
        }
        return null;
    }

    private static bool SameFile(string a, string b) => HostPaths.Resolved(a).FullName == HostPaths.Resolved(b).FullName;

    /// <summary>
    /// The existing file opened for reading; null when QEMU would create one (absent, or a folder for a
    /// temporary file). The machine's checks have refused pipes and sockets already; a device reports
    /// length 0 and is not read.
    /// </summary>
    private static SafeFileHandle? ExistingFile(string path) =>
        File.Exists(path) ? File.OpenHandle(path, FileMode.Open, FileAccess.Read) : null;

    private static string? VersionName(LabelVersion? version) => version switch
    {
        LabelVersion.V1_1 => "1.1",
        LabelVersion.V1_2 => "1.2",
        _ => null,
    };

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
}
