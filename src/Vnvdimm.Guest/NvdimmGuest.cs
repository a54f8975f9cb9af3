using Vnvdimm.Guest.Acpi;
using Vnvdimm.Guest.Dsm;
using Vnvdimm.Guest.Firmware;
using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Nfit;
using Vnvdimm.Guest.Transport;

namespace Vnvdimm.Guest;

/// <summary>
/// The guest's side of a machine, as a firmware and an OS driver build it: the loader run, the ACPI
/// tables found and checked, the NFIT parsed into DIMMs and regions, and the DSM page the loader
/// patched into MEMA, through which label areas are read and written. Works against QEMU and vnvdimm.
/// </summary>
public sealed class NvdimmGuest
{
    private NvdimmGuest(IGuestConnection connection, ulong rsdp, IReadOnlyList<GuestTable> tables, NfitView? nfit, DsmClient? dsm)
    {
        Connection = connection;
        Rsdp = rsdp;
        Tables = tables;
        Nfit = nfit;
        Topology = nfit is null ? null : PmemTopology.From(nfit);
        Dsm = dsm;
    }

    public IGuestConnection Connection { get; }
    public ulong Rsdp { get; }
    public IReadOnlyList<GuestTable> Tables { get; }

    /// <summary>Null when the machine has no NFIT (no NVDIMM plugged, or nvdimm=off).</summary>
    public NfitView? Nfit { get; }

    public PmemTopology? Topology { get; }

    /// <summary>Null when the machine has no NVDIMM SSDT (no DSM page to call through).</summary>
    public DsmClient? Dsm { get; }

    /// <summary>Runs the table loader and reads what it built.</summary>
    public static NvdimmGuest Boot(IGuestConnection connection, LoaderMemory? memory = null)
    {
        memory ??= new LoaderMemory();
        var fwCfg = new FwCfgClient(connection);
        if (fwCfg.Signature() != "QEMU")
            throw new InvalidDataException("no fw_cfg device (signature is not \"QEMU\")");
        TableLoader.Run(connection, fwCfg, memory);
        var (rsdp, tables) = AcpiWalker.Walk(connection, memory.FSegment, memory.FSegmentSize);
        var nfitTable = tables.FirstOrDefault(t => t.Table.Signature == "NFIT");
        var nfit = nfitTable is null ? null : NfitView.FromTable(nfitTable.Table);
        var page = AcpiWalker.DsmPageAddress(tables);
        return new NvdimmGuest(connection, rsdp, tables, nfit, page is uint p ? new DsmClient(connection, p) : null);
    }

    /// <summary>The DIMM's label area through its DSM, or null when it has none (label-size 0, or no DSM).</summary>
    public LabelStore? Labels(GuestDimm dimm)
    {
        if (Dsm is null || Dsm.LabelSize(dimm.Handle).Status != 0)
            return null;
        return new LabelStore(new DsmLabelStorage(Dsm, dimm.Handle));
    }
}
