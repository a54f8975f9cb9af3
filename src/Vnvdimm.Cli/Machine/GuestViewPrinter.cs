using Spectre.Console;
using Vnvdimm.Guest.Acpi;
using Vnvdimm.Guest.Dsm;
using Vnvdimm.Guest.Firmware;
using Vnvdimm.Guest.Transport;
using Vnvdimm.Platform.FwCfg;

namespace Vnvdimm.Cli.Machine;

/// <summary>
/// Shows the NVDIMMs as a guest finds them: fw_cfg, then the ACPI tables, then the NFIT, and the
/// label area through DSM function 4, so what is printed is what a guest driver would build on.
/// </summary>
public static class GuestViewPrinter
{
    /// <summary>A page of guest RAM for the DSM mailbox, clear of the fw_cfg client's scratch area.</summary>
    private const ulong DsmPage = 0x20000;

    public static void Print(IGuestConnection guest, IAnsiConsole console)
    {
        var dsm = new DsmClient(guest, DsmPage);
        var fwCfg = new FwCfgClient(guest);
        var tables = AcpiTableView.Split(fwCfg.ReadFile(FwCfgFileNames.AcpiTables));
        var nfitTable = tables.FirstOrDefault(t => t.Signature == "NFIT");
        if (nfitTable is null)
        {
            console.MarkupLine("[yellow]The guest sees no NFIT: no NVDIMM is plugged.[/]");
            return;
        }
        var nfit = NfitView.FromTable(nfitTable);
        var spas = nfit.SpaRanges.ToDictionary(s => s.Index);

        var table = new Table().Title("NVDIMMs as the guest sees them (NFIT)")
            .AddColumns("slot", "handle", "address", "size", "labels", "armed", "persistence");
        foreach (var column in table.Columns)
            column.NoWrap();
        foreach (var map in nfit.MemoryMaps.OrderBy(m => m.Handle))
        {
            var spa = spas[map.SpaIndex];
            var (status, size, _) = dsm.LabelSize(map.Handle);
            string label = status == 0 ? Bytes(size) : "none";
            table.AddRow(
                (map.Handle - 1).ToString(),
                $"0x{map.Handle:x}",
                $"0x{spa.Base:x}",
                Bytes(spa.Length),
                label,
                map.NotArmed ? "no (read-only)" : "yes",
                nfit.PersistenceDomain);
        }
        console.Write(table);
    }

    private static string Bytes(ulong value) => value switch
    {
        >= 1UL << 30 => $"{value / (double)(1UL << 30):0.###} GiB",
        >= 1UL << 20 => $"{value / (double)(1UL << 20):0.###} MiB",
        >= 1UL << 10 => $"{value / (double)(1UL << 10):0.###} KiB",
        _ => $"{value} B",
    };
}
