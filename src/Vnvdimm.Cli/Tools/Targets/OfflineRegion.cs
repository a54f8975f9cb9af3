using Vnvdimm.Devices;
using Vnvdimm.Guest.Acpi;
using Vnvdimm.Guest.Nfit;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;
using Vnvdimm.Platform;
using Vnvdimm.Vmm;

namespace Vnvdimm.Cli.Tools.Targets;

/// <summary>
/// The region a backing file becomes when plugged into a slot, computed offline by building the
/// NFIT the machine would build and reading it with the guest's NFIT driver: so the cookie and size
/// an offline label carries are the ones a guest will check them against.
/// </summary>
public static class OfflineRegion
{
    /// <param name="unarmed">The NVDIMM is unarmed, as it must be over a read-only file: the region is read-only.</param>
    /// <param name="align">The backend's align= (0: the page size), checked as the machine checks it.</param>
    public static GuestRegion For(string path, ulong labelSize, int slot, ulong align, bool unarmed)
    {
        // A slot no machine has would give a cookie no guest checks labels against.
        if (slot < 0 || slot >= MemoryLayout.MaxSlots)
            throw new ToolException($"--slot {slot}: a machine's memory slots are 0 to {MemoryLayout.MaxSlots - 1}");
        try
        {
            align = BackendDescriptor.FileAlignment(align);
        }
        catch (ConfigurationException e)
        {
            throw new ToolException($"--backend-align: {e.Message}");
        }
        // The file a link names, as a machine would map it (FileInfo measures the link itself).
        ulong fileSize;
        using (var file = File.OpenHandle(path))
            fileSize = (ulong)RandomAccess.GetLength(file);
        if (fileSize <= labelSize)
            throw new ToolException($"{path} ({fileSize} bytes) is not larger than its label area ({labelSize} bytes)");
        return InSlot((fileSize - labelSize) & ~(align - 1), slot, unarmed);
    }

    /// <summary>The region of an NVDIMM with <paramref name="pmemSize"/> bytes of PMEM in <paramref name="slot"/>.</summary>
    public static GuestRegion InSlot(ulong pmemSize, int slot, bool unarmed = false)
    {
        var backend = new BackendDescriptor(new BackendOptions("offline", pmemSize, true, "offline"), pmemSize, (ulong)Environment.SystemPageSize);
        var options = new NvdimmOptions(null, "offline", 0, unarmed, Guid.Empty, slot, 0, 0, "label");
        var placement = new NvdimmPlacement(options, backend, slot, new GuestRange(1UL << 32, pmemSize));
        var fit = MachineAcpi.BuildNfit([placement], PersistenceDomain.Unset).FitBytes();
        return PmemTopology.From(NfitView.FromFit(fit)).Regions[0];
    }
}
