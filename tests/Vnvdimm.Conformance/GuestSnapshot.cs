using Vnvdimm.Guest.Acpi;
using Vnvdimm.Guest.Firmware;
using Vnvdimm.Guest.Transport;

namespace Vnvdimm.Conformance;

/// <summary>What a guest reads from a machine at start: the fw_cfg directory and the ACPI tables.</summary>
public sealed record GuestSnapshot(IReadOnlyDictionary<string, uint> Files, IReadOnlyList<AcpiTableView> Tables, string StandardError)
{
    public static readonly string[] AcpiFiles = ["etc/acpi/rsdp", "etc/acpi/tables", "etc/table-loader", "etc/acpi/nvdimm-mem"];

    public static GuestSnapshot Take(QtestClient machine)
    {
        var fwCfg = new FwCfgClient(machine);
        var files = fwCfg.Files().ToDictionary(f => f.Name, f => f.Size);
        var tables = AcpiTableView.Split(fwCfg.ReadFile("etc/acpi/tables"));
        return new GuestSnapshot(files, tables, machine.StandardError);
    }

    public AcpiTableView? Table(string signature) => Tables.SingleOrDefault(t => t.Signature == signature);

    /// <summary>
    /// A table as header plus its sub-structures in sorted order: QEMU lists NVDIMMs in the order of an
    /// internal hash table, so structure order is not part of the contract, the set of structures is.
    /// </summary>
    public static IReadOnlyList<string> Canonical(AcpiTableView table, int structuresOffset, Func<byte[], int, int> lengthAt)
    {
        var parts = new List<string> { "header " + Convert.ToHexString(table.Bytes, 0, structuresOffset) };
        var structures = new List<string>();
        for (int at = structuresOffset; at < table.Bytes.Length;)
        {
            int length = lengthAt(table.Bytes, at);
            if (length <= 0)
                throw new InvalidDataException($"{table.Signature}: zero-length structure at {at}");
            structures.Add(Convert.ToHexString(table.Bytes, at, Math.Min(length, table.Bytes.Length - at)));
            at += length;
        }
        structures.Sort(StringComparer.Ordinal);
        parts.AddRange(structures);
        return parts;
    }

    public static int NfitLength(byte[] b, int at) => b[at + 2] | (b[at + 3] << 8);

    public static int SratLength(byte[] b, int at) => b[at + 1];
}
