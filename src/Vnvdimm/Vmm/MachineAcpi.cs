using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Vnvdimm.Acpi;
using Vnvdimm.Acpi.Loader;
using Vnvdimm.Acpi.Nfit;
using Vnvdimm.Acpi.Nvdimm;
using Vnvdimm.Dsm;
using Vnvdimm.Acpi.Srat;
using Vnvdimm.Devices;
using Vnvdimm.Options;
using Vnvdimm.Platform;
using Vnvdimm.Platform.FwCfg;

namespace Vnvdimm.Vmm;

/// <summary>The three fw_cfg files that carry ACPI to the firmware.</summary>
public sealed record AcpiFiles(byte[] Tables, byte[] Rsdp, byte[] Loader);

/// <summary>
/// Composes the machine's ACPI tables (SRAT, NFIT, RSDT), the RSDP and the loader script that links
/// them, from the machine's layout and devices.
/// </summary>
public static class MachineAcpi
{
    /// <summary>QEMU pads the tables file to 128 KiB steps so its size stays stable across hotplug and migration.</summary>
    public const int TablesAlignment = 128 << 10;
    private const uint TablesFileAlignment = 64, RsdpAlignment = 16, PointedFileAlignment = 4096;

    /// <summary>
    /// Publishes the ACPI files for the machine as it is now and returns the NFIT, whose structures
    /// are also the FIT. As QEMU: the NVDIMM SSDT exists once NVDIMMs can be plugged, the NFIT once one is.
    /// </summary>
    public static NfitTable Publish(Machine machine)
    {
        var config = machine.Configuration;
        var placements = machine.Nvdimms.Select(d => d.Placement).ToList();
        bool nvdimmSlots = config.Machine.Nvdimm && machine.Layout.Slots > 0;
        var tables = new List<IAcpiTable>();
        if (machine.NodeMemory.Count > 0)
            tables.Add(BuildSrat(machine.Layout, machine.NodeMemory, placements, config.Machine.Nvdimm));
        if (nvdimmSlots)
            tables.Add(new NvdimmSsdt((int)machine.Layout.Slots));
        var nfit = BuildNfit(placements, config.Machine.Persistence);
        if (nvdimmSlots && placements.Count > 0)
            tables.Add(nfit);

        var files = Build(tables);
        machine.FwCfg.SetFile(FwCfgFileNames.AcpiTables, files.Tables);
        machine.FwCfg.SetFile(FwCfgFileNames.Rsdp, files.Rsdp);
        machine.FwCfg.SetFile(FwCfgFileNames.TableLoader, files.Loader);
        if (config.Machine.Nvdimm && !machine.FwCfg.FileNames.Contains(FwCfgFileNames.NvdimmDsmPage))
            machine.FwCfg.SetFile(FwCfgFileNames.NvdimmDsmPage, new byte[DsmLayout.PageSize]);
        return nfit;
    }

    /// <summary>
    /// Whether the firmware has started reading the ACPI files. QEMU builds them when the firmware
    /// first selects one and keeps them until reset; a hotplug before that shows up in the tables.
    /// </summary>
    public static bool FirmwareHasTables(Machine machine) =>
        machine.FwCfg.WasSelected(FwCfgFileNames.AcpiTables) || machine.FwCfg.WasSelected(FwCfgFileNames.Rsdp)
        || machine.FwCfg.WasSelected(FwCfgFileNames.TableLoader);

    public static NfitTable BuildNfit(IEnumerable<NvdimmPlacement> devices, PersistenceDomain persistence)
    {
        var structures = new List<INfitStructure>();
        foreach (var d in devices.OrderBy(d => d.Slot))
        {
            // Indices are derived from the slot so that they stay stable across hotplug.
            ushort spaIndex = (ushort)((d.Slot + 1) << 1);
            ushort dcrIndex = (ushort)(spaIndex + 1);
            structures.Add(new NfitSpaRange(spaIndex, d.Options.Node, d.Range.Base, d.Range.Size));
            structures.Add(new NfitMemoryDeviceMap(d.Handle, spaIndex, dcrIndex, d.Range.Size, d.Options.Unarmed));
            structures.Add(new NfitControlRegion(dcrIndex, SerialNumber(d.Slot)));
        }
        if (persistence != PersistenceDomain.Unset)
            structures.Add(new NfitPlatformCapabilities((uint)persistence));
        return new NfitTable(structures);
    }

    /// <summary>QEMU's serial-number scheme, kept so that guests see the same DIMM identities.</summary>
    public static uint SerialNumber(int slot) => 0x123456u + (uint)slot;

    public static SratTable BuildSrat(MemoryLayout layout, IReadOnlyList<ulong> nodeMemory, IEnumerable<NvdimmPlacement> nvdimms, bool nvdimmEnabled)
    {
        var memory = new List<SratMemoryAffinity>();
        ulong next = 0;
        for (int node = 0; node < nodeMemory.Count; node++)
        {
            ulong start = next, length = nodeMemory[node];
            next = start + length;
            void Emit(ulong b, ulong l) { if (l > 0) memory.Add(new(b, l, (uint)node, MemoryAffinityFlags.Enabled)); }

            // The legacy hole 640 KiB..1 MiB is not RAM.
            if (start <= MemoryLayout.Hole640KStart && next > MemoryLayout.Hole640KStart)
            {
                Emit(start, length - (next - MemoryLayout.Hole640KStart));
                if (next <= MemoryLayout.Hole640KEnd)
                {
                    next = MemoryLayout.Hole640KEnd;
                    continue;
                }
                start = MemoryLayout.Hole640KEnd;
                length = next - MemoryLayout.Hole640KEnd;
            }
            // RAM that does not fit below the PCI hole continues at 4 GiB.
            if (start <= layout.BelowFourGig && next > layout.BelowFourGig)
            {
                Emit(start, length - (next - layout.BelowFourGig));
                start = layout.AboveFourGigStart;
                length = next - layout.BelowFourGig;
                next = start + length;
            }
            Emit(start, length);
        }

        if (nvdimmEnabled)
            foreach (var d in nvdimms.OrderBy(d => d.Slot))
                memory.Add(new(d.Range.Base, d.Range.Size, d.Options.Node, MemoryAffinityFlags.Enabled | MemoryAffinityFlags.NonVolatile));

        // Old guests expect at least nodes+2 memory entries; QEMU pads with empty ones.
        while (memory.Count < nodeMemory.Count + 2)
            memory.Add(new(0, 0, 0, MemoryAffinityFlags.None));

        if (layout.HasDeviceMemory)
            memory.Add(new(layout.DeviceMemory.Base, layout.DeviceMemory.Size, (uint)(nodeMemory.Count - 1),
                MemoryAffinityFlags.HotPluggable | MemoryAffinityFlags.Enabled));

        // One CPU, APIC id 0, in node 0.
        return new SratTable([new SratProcessorAffinity(0, 0)], memory);
    }

    public static AcpiFiles Build(IReadOnlyList<IAcpiTable> tables)
    {
        var blob = new List<byte>();
        var script = new TableLoaderScript();
        var serialized = tables.Select(Serialize).ToList();
        script.Add(new AllocateCommand(FwCfgFileNames.Rsdp, RsdpAlignment, AllocationZone.FSeg));
        // Every file a table points to (the NVDIMM DSM page) is allocated, page-aligned, like the tables.
        var targets = serialized.SelectMany(t => t.Pointers).Select(p => p.TargetFile).Distinct();
        foreach (string target in targets)
            script.Add(new AllocateCommand(target, PointedFileAlignment, AllocationZone.High));
        script.Add(new AllocateCommand(FwCfgFileNames.AcpiTables, TablesFileAlignment, AllocationZone.High));

        var offsets = new List<uint>();
        foreach (var table in serialized)
        {
            offsets.Add((uint)blob.Count);
            foreach (var p in table.Pointers)
                script.Add(new AddPointerCommand(FwCfgFileNames.AcpiTables, p.TargetFile, (uint)(blob.Count + p.OffsetInTable), p.Size));
            script.Add(Checksum(blob.Count, table.Bytes.Length));
            blob.AddRange(table.Bytes.AsSpan());
        }

        uint rsdtOffset = (uint)blob.Count;
        byte[] rsdt = new RsdtTable(offsets).ToBytes();
        for (int i = 0; i < offsets.Count; i++)
            script.Add(new AddPointerCommand(FwCfgFileNames.AcpiTables, FwCfgFileNames.AcpiTables, rsdtOffset + (uint)RsdtTable.EntryOffset(i), 4));
        script.Add(Checksum(blob.Count, rsdt.Length));
        blob.AddRange(rsdt);

        script.Add(new AddPointerCommand(FwCfgFileNames.Rsdp, FwCfgFileNames.AcpiTables, Rsdp.RsdtAddressOffset, 4));
        script.Add(new AddChecksumCommand(FwCfgFileNames.Rsdp, Rsdp.ChecksumOffset, 0, Rsdp.Length));

        int padded = (blob.Count + TablesAlignment - 1) / TablesAlignment * TablesAlignment;
        var tablesFile = new byte[padded];
        blob.CopyTo(tablesFile);
        return new AcpiFiles(tablesFile, new Rsdp(rsdtOffset).ToBytes(), script.ToBytes());
    }

    private static LinkedTableBytes Serialize(IAcpiTable table) => table is ILinkedAcpiTable linked
        ? linked.ToLinkedBytes()
        : new LinkedTableBytes(ImmutableCollectionsMarshal.AsImmutableArray(table.ToBytes()), []);

    private static AddChecksumCommand Checksum(int tableOffset, int length) =>
        new(FwCfgFileNames.AcpiTables, (uint)(tableOffset + AcpiTableHeader.ChecksumOffset), (uint)tableOffset, (uint)length);
}
