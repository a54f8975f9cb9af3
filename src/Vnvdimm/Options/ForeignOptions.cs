namespace Vnvdimm.Options;

/// <summary>
/// What the parser does with the parts of a QEMU command line vnvdimm does not model: a machine start
/// refuses them; the layout planner, reading an orchestrator's full QEMU command line, skips those
/// that cannot change where an NVDIMM goes and refuses those that could.
/// </summary>
public enum ForeignOptions { Refuse, Skip }

/// <summary>QEMU 7.2's x86 options as far as skipping them needs (qemu-options.hx).</summary>
internal static class QemuOptionTable
{
    /// <summary>Options that take no argument; every other option takes one.</summary>
    public static readonly HashSet<string> Flags =
    [
        "help", "h", "version", "mem-prealloc", "audio-help", "snapshot", "usb", "nographic", "portrait", "full-screen",
        "win2k-hack", "no-fd-bootchk", "no-acpi", "no-hpet", "singlestep", "preconfig", "S", "s", "enable-kvm",
        "xen-attach", "xen-domid-restrict", "no-reboot", "no-shutdown", "daemonize", "only-migratable", "nodefaults",
        "semihosting", "old-param", "no-user-config", "async-teardown", "enable-sync-profile",
    ];

    /// <summary>Options whose effect on memory devices cannot be known without reading more than the command line.</summary>
    public static readonly HashSet<string> Unpredictable = ["readconfig", "set", "global"];

    /// <summary>Devices that take a memory slot or device-memory space: an NVDIMM's place depends on them.</summary>
    public static readonly HashSet<string> MemoryDevices = ["pc-dimm", "virtio-pmem-pci", "virtio-mem-pci", "virtio-pmem", "virtio-mem"];

    /// <summary>Backend properties QEMU has that change nothing about sizes or files (NUMA policy, core dumps, KSM).</summary>
    public static readonly string[] IgnorableBackendProperties =
        ["merge", "dump", "prealloc-threads", "reserve", "host-nodes", "policy", "x-use-canonical-path-for-ramblock-id", "hugetlb", "hugetlbsize", "seal"];

    /// <summary>The oldest versioned types whose memory-device layout QEMU 7.2 gives as its own types (checked against QEMU).</summary>
    private static readonly Version OldestLaidOutAlike = new(2, 4), Newest = new(7, 2);

    /// <summary>
    /// The 7.2 type an older <c>pc-i440fx-X.Y</c> or <c>pc-q35-X.Y</c> is laid out like; null when the name is
    /// no such type. Types before 2.4 place memory devices differently (or have none): refused.
    /// </summary>
    public static MachineType? VersionedFamily(string name)
    {
        string? family = name.StartsWith("pc-i440fx-", StringComparison.Ordinal) ? "pc" : name.StartsWith("pc-q35-", StringComparison.Ordinal) ? "q35" : null;
        if (family is null || !Version.TryParse(name[(name.LastIndexOf('-') + 1)..], out var version) || version.Build >= 0 || version > Newest)
            return null;
        if (version < OldestLaidOutAlike)
            throw new ConfigurationException($"-machine {name}: machine types before {OldestLaidOutAlike} place memory devices by older rules, which the layout planner does not model");
        return MachineTypes.Find(family);
    }
}
