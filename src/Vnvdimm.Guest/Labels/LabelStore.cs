using System.Collections;

namespace Vnvdimm.Guest.Labels;

/// <summary>The pmem namespace a label describes, as a request to create one.</summary>
public sealed record NamespaceRequest(ulong Size, string Name, Guid Uuid);

/// <summary>
/// Reads and changes a label area as Linux does (drivers/nvdimm/label.c): a new label goes into a
/// free slot first, then the other index block is written with the next sequence number and the
/// updated free bitmap, so an interrupted update leaves the previous index current. Refuses to
/// change an area it cannot read cleanly.
/// </summary>
public sealed class LabelStore(ILabelStorage storage)
{
    public LabelAreaState Load()
    {
        var area = storage.Read(0, storage.Size);
        var problems = new List<string>();
        var unreadable = new List<(string? Block0, string? Block1)>();
        // Linux tries 128-byte labels first, then 256.
        foreach (var version in new[] { LabelVersion.V1_1, LabelVersion.V1_2 })
        {
            var geometry = LabelGeometry.For(storage.Size, version);
            if (geometry is null)
                return new LabelAreaState(storage.Size, null, -1, null, [], [$"a {storage.Size}-byte area cannot hold a label set"]);
            var (index0, problem0) = NamespaceIndex.Parse(area, geometry, 0);
            var (index1, problem1) = NamespaceIndex.Parse(area, geometry, 1);
            if (index0 is null && index1 is null)
            {
                unreadable.Add((problem0, problem1));
                continue;
            }
            int current = index0 is null ? 1 : index1 is null ? 0 : NamespaceIndex.Current(index0.Sequence, index1.Sequence);
            if (index0 is null)
                problems.Add($"index block 0 invalid ({problem0}); using block 1");
            else if (index1 is null)
                problems.Add($"index block 1 invalid ({problem1}); using block 0");
            var index = current == 0 ? index0! : index1!;
            var labels = ReadLabels(area, geometry, index, problems);
            return new LabelAreaState(storage.Size, geometry, current, index, labels, problems);
        }
        if (!area.All(b => b == 0))
        {
            // Report the reading whose blocks at least claimed that label size.
            var (block0, block1) = unreadable.FirstOrDefault(u => !(u.Block0 ?? "").StartsWith("declares", StringComparison.Ordinal), unreadable[^1]);
            problems.Add($"both index blocks invalid: block 0 {block0}; block 1 {block1}");
        }
        return new LabelAreaState(storage.Size, LabelGeometry.For(storage.Size, LabelVersion.V1_2), -1, null, [], problems);
    }

    private static List<NamespaceLabel> ReadLabels(byte[] area, LabelGeometry geometry, NamespaceIndex index, List<string> problems)
    {
        var labels = new List<NamespaceLabel>();
        for (uint slot = 0; slot < index.Free.Length; slot++)
        {
            if (index.Free[(int)slot])
                continue;
            var (label, problem) = NamespaceLabel.Parse(area.AsSpan((int)geometry.SlotOffset(slot), geometry.LabelSize), geometry.Version, slot);
            if (label is null)
                problems.Add(problem!);
            else
                labels.Add(label);
        }
        foreach (var a in labels)
            foreach (var b in labels)
                if (a.Slot < b.Slot && a.Dpa < b.End && b.Dpa < a.End)
                    problems.Add($"labels in slots {a.Slot} ({a.Uuid}) and {b.Slot} ({b.Uuid}) overlap: " +
                        $"DPA 0x{Math.Max(a.Dpa, b.Dpa):x}-0x{Math.Min(a.End, b.End):x}");
        return labels;
    }

    /// <summary>Writes two fresh index blocks (sequence 3 and 2, as Linux): an empty label set.</summary>
    public LabelAreaState Initialize(LabelVersion version, bool force = false)
    {
        var state = Load();
        if (state.Labels.Count > 0 && !force)
            throw new InvalidOperationException(
                $"the label area holds {state.Labels.Count} label(s); initialising would drop them (force to do it anyway)");
        var geometry = LabelGeometry.For(storage.Size, version)
            ?? throw new InvalidOperationException($"a {storage.Size}-byte area cannot hold a label set");
        for (int block = 0; block < 2; block++)
            storage.Write(geometry.IndexOffset(block), NamespaceIndex.Fresh(geometry, block, (uint)(3 - block)).ToBytes());
        return Load();
    }

    /// <summary>
    /// Adds a pmem namespace label for a DIMM whose DPA space is <paramref name="capacity"/> bytes:
    /// first fit at <paramref name="alignment"/>, in the lowest free slot. <paramref name="beforeLabel"/>, given the
    /// DPA chosen once every check has passed, fills the namespace before its label makes it exist (and may still refuse).
    /// </summary>
    public NamespaceLabel Create(NamespaceRequest request, ulong capacity, ulong alignment, ulong cookie, Guid typeGuid,
        Guid abstractionGuid = default, ulong lbaSize = 0, Action<ulong>? beforeLabel = null)
    {
        var state = Writable();
        if (request.Size == 0 || request.Size % alignment != 0)
            throw new InvalidOperationException($"size {request.Size} is not a non-zero multiple of the region alignment {alignment}");
        if (System.Text.Encoding.UTF8.GetByteCount(request.Name) >= NamespaceLabel.NameLength)
            throw new InvalidOperationException($"name longer than {NamespaceLabel.NameLength - 1} bytes");
        if (state.Labels.Any(l => l.Uuid == request.Uuid))
            throw new InvalidOperationException($"a namespace with uuid {request.Uuid} exists already");
        int slot = FirstFree(state.Current!.Free);
        if (slot < 0)
            throw new InvalidOperationException("no free label slot");
        ulong dpa = FirstFit(state.Labels, request.Size, capacity, alignment)
            ?? throw new InvalidOperationException(
                $"no {request.Size}-byte extent free (capacity {capacity}, {state.Labels.Sum(l => (decimal)l.RawSize)} bytes in use)");

        beforeLabel?.Invoke(dpa);
        var label = new NamespaceLabel(request.Uuid, request.Name, 0, 1, 0, cookie, lbaSize, dpa, request.Size, (uint)slot,
            state.Version == LabelVersion.V1_2 ? typeGuid : Guid.Empty, state.Version == LabelVersion.V1_2 ? abstractionGuid : Guid.Empty);
        storage.Write(state.Geometry!.SlotOffset((uint)slot), label.ToBytes(state.Geometry.Version));
        var free = new BitArray(state.Current.Free);
        free[slot] = false;
        WriteNextIndex(state, free);
        return label;
    }

    /// <summary>Frees the slots of the namespace's labels; returns how many there were.</summary>
    public int Destroy(Guid uuid)
    {
        var state = Writable();
        var slots = state.Labels.Where(l => l.Uuid == uuid).Select(l => (int)l.Slot).ToList();
        if (slots.Count == 0)
            throw new InvalidOperationException($"no namespace with uuid {uuid}");
        var free = new BitArray(state.Current!.Free);
        foreach (int slot in slots)
            free[slot] = true;
        WriteNextIndex(state, free);
        return slots.Count;
    }

    private LabelAreaState Writable()
    {
        var state = Load();
        if (!state.Initialized)
            throw new InvalidOperationException(state.Problems.Count > 0
                ? $"the label area is unreadable: {string.Join("; ", state.Problems)}"
                : "the label area is not initialised (init-labels first)");
        if (state.Problems.Count > 0)
            throw new InvalidOperationException($"the label area has problems, refusing to change it: {string.Join("; ", state.Problems)}");
        return state;
    }

    private void WriteNextIndex(LabelAreaState state, BitArray free)
    {
        int next = 1 - state.CurrentBlock;
        var geometry = state.Geometry!;
        var index = state.Current! with
        {
            Sequence = NamespaceIndex.Next(state.Current!.Sequence),
            MyOffset = geometry.IndexOffset(next),
            OtherOffset = geometry.IndexOffset(1 - next),
            Free = free,
        };
        storage.Write((uint)index.MyOffset, index.ToBytes());
    }

    private static int FirstFree(BitArray free)
    {
        for (int slot = 0; slot < free.Length; slot++)
            if (free[slot])
                return slot;
        return -1;
    }

    /// <summary>The largest free stretch of the DIMM's DPA space, both ends on <paramref name="alignment"/> (ndctl's default size).</summary>
    public ulong LargestFree(ulong capacity, ulong alignment)
    {
        ulong largest = 0, at = 0;
        foreach (var (dpa, end) in Load().Labels.OrderBy(l => l.Dpa).Select(l => (l.Dpa, l.End)).Append((capacity, capacity)))
        {
            ulong start = (at + alignment - 1) / alignment * alignment, stop = Math.Min(dpa, capacity) / alignment * alignment;
            if (stop > start)
                largest = Math.Max(largest, stop - start);
            at = Math.Max(at, end);
        }
        return largest;
    }

    private static ulong? FirstFit(IReadOnlyList<NamespaceLabel> labels, ulong size, ulong capacity, ulong alignment)
    {
        ulong candidate = 0;
        foreach (var label in labels.OrderBy(l => l.Dpa))
        {
            if (candidate + size <= label.Dpa)
                break;
            candidate = Math.Max(candidate, (label.End + alignment - 1) / alignment * alignment);
        }
        return candidate + size <= capacity ? candidate : null;
    }
}
