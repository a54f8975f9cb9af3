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
    [
        "merge", "dump", "prealloc-threads", "reserve", "host-nodes", "policy", "x-use-canonical-path-for-ramblock-id", "hugetlb",
        "hugetlbsize", "seal",
    ];

    /// <summary>Every option QEMU 7.2's x86 binary knows (qemu-options.hx): anything else is "invalid option" there too.</summary>
    public static readonly HashSet<string> All =
    [
        "help", "h", "version", "machine", "M", "cpu", "accel", "smp", "numa", "add-fd", "set", "global", "boot", "m", "mem-path",
        "mem-prealloc", "k", "audio-help", "audio", "audiodev", "device", "name", "uuid", "fda", "fdb", "hda", "hdb", "hdc", "hdd",
        "cdrom", "blockdev", "drive", "mtdblock", "sd", "snapshot", "fsdev", "virtfs", "iscsi", "usb", "usbdevice", "display",
        "nographic", "spice", "portrait", "rotate", "vga", "full-screen", "g", "vnc", "win2k-hack", "no-fd-bootchk", "no-acpi",
        "no-hpet", "acpitable", "smbios", "netdev", "nic", "net", "chardev", "tpmdev", "bios", "pflash", "kernel", "append",
        "initrd", "dtb", "compat", "fw_cfg", "serial", "parallel", "monitor", "qmp", "qmp-pretty", "mon", "debugcon", "pidfile",
        "singlestep", "preconfig", "S", "overcommit", "gdb", "s", "d", "D", "dfilter", "seed", "L", "enable-kvm", "xen-domid",
        "xen-attach", "xen-domid-restrict", "no-reboot", "no-shutdown", "action", "loadvm", "daemonize", "option-rom", "rtc",
        "icount", "watchdog-action", "echr", "incoming", "only-migratable", "nodefaults", "chroot", "runas", "prom-env",
        "semihosting", "semihosting-config", "old-param", "sandbox", "readconfig", "no-user-config", "trace", "plugin", "qtest",
        "qtest-log", "async-teardown", "msg", "dump-vmstate", "enable-sync-profile", "object",
    ];

    /// <summary>Machine properties that move no memory: what libvirt and users set besides the NVDIMM ones.</summary>
    public static readonly string[] HarmlessMachineProperties =
    [
        "usb", "dump-guest-core", "mem-merge", "vmport", "smm", "graphics", "suppress-vmdesc", "kernel-irqchip", "kernel_irqchip",
        "hpet", "sata", "pit", "pic", "smbus", "i8042", "pflash0", "pflash1", "firmware", "igd-passthru", "default-bus-bypass-iommu",
        "x-oem-id", "x-oem-table-id", "smbios-entry-point-type", "max-fw-size", "bus-lock-ratelimit", "append", "kernel", "initrd",
        "dtb", "dumpdtb", "boot", "confidential-guest-support", "memory-encryption", "hmat", "nvdimm", "nvdimm-persistence",
        "acpi", "accel", "memory-backend",
    ];

    /// <summary>The oldest versioned types whose memory-device layout QEMU 7.2 gives as its own types (checked against QEMU).</summary>
    private static readonly Version OldestLaidOutAlike = new(2, 4), Newest = new(7, 2);

    /// <summary>
    /// The 7.2 type an older <c>pc-i440fx-X.Y</c> or <c>pc-q35-X.Y</c> is laid out like, and its version (which
    /// decides the 1 TiB relocation); null when the name is no such type. Types before 2.4 place memory
    /// devices differently (or have none): refused.
    /// </summary>
    public static (MachineType Family, Version Version)? VersionedFamily(string name)
    {
        string? family = name.StartsWith("pc-i440fx-", StringComparison.Ordinal) ? "pc"
            : name.StartsWith("pc-q35-", StringComparison.Ordinal) ? "q35"
            : null;
        if (family is null || !Version.TryParse(name[(name.LastIndexOf('-') + 1)..], out var version) || version.Build >= 0 || version > Newest)
            return null;
        if (version < OldestLaidOutAlike)
            throw new ConfigurationException($"-machine {name}: machine types before {OldestLaidOutAlike} place memory devices by older rules, " +
                "which the layout planner does not model");
        return (MachineTypes.Find(family)!, version);
    }
}
