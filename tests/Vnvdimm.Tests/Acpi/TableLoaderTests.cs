using System.Buffers.Binary;
using System.Text;
using Vnvdimm.Acpi;
using Vnvdimm.Acpi.Loader;
using Vnvdimm.Acpi.Nfit;
using Vnvdimm.Acpi.Nvdimm;
using Vnvdimm.Platform.FwCfg;
using Vnvdimm.Vmm;

namespace Vnvdimm.Tests.Acpi;

public sealed class TableLoaderTests
{
    [Fact]
    public void Commands_have_the_bios_linker_layout()
    {
        var script = new TableLoaderScript()
            .Add(new AllocateCommand("etc/acpi/rsdp", 16, AllocationZone.FSeg))
            .Add(new AddPointerCommand("etc/acpi/rsdp", "etc/acpi/tables", 16, 4))
            .Add(new AddChecksumCommand("etc/acpi/rsdp", 8, 0, 20))
            .ToBytes();
        Assert.Equal(4096, script.Length);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(script));
        Assert.Equal("etc/acpi/rsdp", Encoding.ASCII.GetString(script, 4, 56).TrimEnd('\0'));
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32LittleEndian(script.AsSpan(60)));
        Assert.Equal(2, script[64]);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(script.AsSpan(128)));
        Assert.Equal("etc/acpi/tables", Encoding.ASCII.GetString(script, 128 + 60, 56).TrimEnd('\0'));
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32LittleEndian(script.AsSpan(128 + 116)));
        Assert.Equal(4, script[128 + 120]);
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(script.AsSpan(256)));
        uint[] checksumFields = [.. Enumerable.Range(0, 3).Select(i => BinaryPrimitives.ReadUInt32LittleEndian(script.AsSpan(256 + 60 + 4 * i)))];
        Assert.Equal([8, 0, 20], checksumFields);
        Assert.All(script.AsSpan(384).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Files_are_allocated_only_when_a_table_points_to_them()
    {
        string[] Allocated(byte[] loader) => [.. Enumerable.Range(0, loader.Length / 128)
            .Where(i => BinaryPrimitives.ReadUInt32LittleEndian(loader.AsSpan(i * 128)) == 1)
            .Select(i => Encoding.ASCII.GetString(loader, i * 128 + 4, 56).TrimEnd('\0'))];
        var nfit = new NfitTable([new NfitPlatformCapabilities(2)]);
        Assert.Equal([FwCfgFileNames.Rsdp, FwCfgFileNames.AcpiTables], Allocated(MachineAcpi.Build([nfit]).Loader));
        var ssdt = new NvdimmSsdt(1);
        Assert.Equal([FwCfgFileNames.Rsdp, FwCfgFileNames.NvdimmDsmPage, FwCfgFileNames.AcpiTables],
            Allocated(MachineAcpi.Build([ssdt, nfit]).Loader));
    }

    [Fact]
    public void Too_long_file_name_is_refused() =>
        Assert.Throws<ArgumentException>(() => new AllocateCommand(new string('x', 56), 1, AllocationZone.High).WriteTo(new byte[128]));

    /// <summary>Runs the script the way firmware does, on files at fake addresses, and checks the result links and sums up.</summary>
    [Fact]
    public void Executing_the_script_links_rsdp_rsdt_and_tables_with_valid_checksums()
    {
        var nfit = new NfitTable([new NfitPlatformCapabilities(3)]);
        var ssdt = new NvdimmSsdt(2);
        var files = MachineAcpi.Build([ssdt, nfit]);
        var blobs = new Dictionary<string, byte[]>
        {
            [FwCfgFileNames.AcpiTables] = files.Tables,
            [FwCfgFileNames.Rsdp] = files.Rsdp,
            [FwCfgFileNames.NvdimmDsmPage] = new byte[4096],
        };
        var addresses = new Dictionary<string, uint>();
        uint next = 0x100000;
        for (int at = 0; at < files.Loader.Length; at += 128)
        {
            byte[] cmd = files.Loader[at..(at + 128)];
            uint kind = BinaryPrimitives.ReadUInt32LittleEndian(cmd);
            string Name(int offset) => Encoding.ASCII.GetString(cmd, offset, 56).TrimEnd('\0');
            switch (kind)
            {
                case 1:
                    addresses[Name(4)] = next;
                    next += 0x100000;
                    break;
                case 2:
                {
                    var dest = blobs[Name(4)];
                    uint offset = BinaryPrimitives.ReadUInt32LittleEndian(cmd.AsSpan(116));
                    uint value = BinaryPrimitives.ReadUInt32LittleEndian(dest.AsSpan((int)offset));
                    BinaryPrimitives.WriteUInt32LittleEndian(dest.AsSpan((int)offset), value + addresses[Name(60)]);
                    break;
                }
                case 3:
                {
                    var file = blobs[Name(4)];
                    int offset = (int)BinaryPrimitives.ReadUInt32LittleEndian(cmd.AsSpan(60));
                    int start = (int)BinaryPrimitives.ReadUInt32LittleEndian(cmd.AsSpan(64));
                    int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(cmd.AsSpan(68));
                    file[offset] = 0;
                    file[offset] = AcpiChecksum.Compute(file.AsSpan(start, length));
                    break;
                }
            }
        }

        byte[] rsdp = blobs[FwCfgFileNames.Rsdp];
        Assert.Equal("RSD PTR ", Encoding.ASCII.GetString(rsdp, 0, 8));
        Assert.Equal(0, Sum(rsdp));
        uint rsdtAddress = BinaryPrimitives.ReadUInt32LittleEndian(rsdp.AsSpan(16));
        int rsdtOffset = (int)(rsdtAddress - addresses[FwCfgFileNames.AcpiTables]);
        byte[] tables = blobs[FwCfgFileNames.AcpiTables];
        Assert.Equal("RSDT", Encoding.ASCII.GetString(tables, rsdtOffset, 4));
        int rsdtLength = BinaryPrimitives.ReadInt32LittleEndian(tables.AsSpan(rsdtOffset + 4));
        Assert.Equal(0, Sum(tables.AsSpan(rsdtOffset, rsdtLength)));
        uint ssdtAddress = BinaryPrimitives.ReadUInt32LittleEndian(tables.AsSpan(rsdtOffset + 36));
        int ssdtOffset = (int)(ssdtAddress - addresses[FwCfgFileNames.AcpiTables]);
        Assert.Equal("SSDT", Encoding.ASCII.GetString(tables, ssdtOffset, 4));
        Assert.Equal(0, Sum(tables.AsSpan(ssdtOffset, BinaryPrimitives.ReadInt32LittleEndian(tables.AsSpan(ssdtOffset + 4)))));
        // MEMA now holds the guest address the firmware gave the DSM page.
        int memaOffset = ssdtOffset + ssdt.ToLinkedBytes().Pointers.Single().OffsetInTable;
        Assert.Equal(addresses[FwCfgFileNames.NvdimmDsmPage], BinaryPrimitives.ReadUInt32LittleEndian(tables.AsSpan(memaOffset)));
        Assert.Equal("MEMA", Encoding.ASCII.GetString(tables, memaOffset - 5, 4));
        uint nfitAddress = BinaryPrimitives.ReadUInt32LittleEndian(tables.AsSpan(rsdtOffset + 40));
        int nfitOffset = (int)(nfitAddress - addresses[FwCfgFileNames.AcpiTables]);
        Assert.Equal("NFIT", Encoding.ASCII.GetString(tables, nfitOffset, 4));
        Assert.Equal(0, Sum(tables.AsSpan(nfitOffset, BinaryPrimitives.ReadInt32LittleEndian(tables.AsSpan(nfitOffset + 4)))));
        Assert.Equal(MachineAcpi.TablesAlignment, tables.Length);
    }

    private static byte Sum(ReadOnlySpan<byte> data)
    {
        byte sum = 0;
        foreach (byte b in data)
            sum += b;
        return sum;
    }
}
