namespace Vnvdimm.Options;

/// <summary>
/// What QEMU 7.2 prints for <c>-device help</c>, <c>-device nvdimm,help</c>, <c>-object help</c>,
/// <c>-object memory-backend-file,help</c>, <c>-machine help</c> and <c>-accel help</c>, limited to what
/// vnvdimm has: a property is listed only if vnvdimm knows it (accepts it, or refuses it as QEMU does,
/// like nvdimm's read-only size), in QEMU's words and order.
/// </summary>
public static class OptionHelp
{
    /// <summary>QEMU's property lines per type, with the key each describes.</summary>
    private static readonly Dictionary<string, (string Key, string Line)[]> Properties = new(StringComparer.Ordinal)
    {
        ["nvdimm"] =
        [
            ("addr", "  addr=<uint64>          -  (default: 0)"),
            ("label-size", "  label-size=<int>"),
            ("memdev", "  memdev=<link<memory-backend>>"),
            ("node", "  node=<uint32>          -  (default: 0)"),
            ("size", "  size=<uint64>"), // read-only, refused as QEMU refuses it
            ("slot", "  slot=<int32>           -  (default: -1)"),
            ("unarmed", "  unarmed=<bool>         -  (default: false)"),
            ("uuid", "  uuid=<QemuUUID>"),
        ],
        ["memory-backend-file"] =
        [
            ("align", "  align=<int>"),
            ("discard-data", "  discard-data=<bool>"),
            ("mem-path", "  mem-path=<string>"),
            ("pmem", "  pmem=<bool>"),
            ("prealloc", "  prealloc=<bool>        - Preallocate memory"),
            ("readonly", "  readonly=<bool>"),
            ("share", "  share=<bool>           - Mark the memory as private to QEMU or shared"),
            ("size", "  size=<int>             - Size of the memory region (ex: 500M)"),
        ],
        ["memory-backend-ram"] =
        [
            ("prealloc", "  prealloc=<bool>        - Preallocate memory"),
            ("share", "  share=<bool>           - Mark the memory as private to QEMU or shared"),
            ("size", "  size=<int>             - Size of the memory region (ex: 500M)"),
        ],
    };

    public static bool HasType(string type) => Properties.ContainsKey(type);

    public static string TypeProperties(string type) => $"{type} options:\n" + string.Concat(Properties[type].Select(p => p.Line + "\n"));

    public const string Devices = "Storage devices:\nname \"nvdimm\", desc \"DIMM memory module\"\n\n";

    public const string Objects = "List of user creatable objects:\n  memory-backend-file\n  memory-backend-ram\n";

    public const string Accelerators = "Accelerators supported in QEMU binary:\nqtest\ntcg\nkvm\n";

    /// <summary>QEMU's list, in its order, of the backends vnvdimm has.</summary>
    public const string Chardevs = "Available chardev backend types: \n  stdio\n  socket\n";

    /// <summary>
    /// The help an option's argument asks for (<c>help</c> or <c>?</c>, alone or as a property after the
    /// type), or null when the argument is not a help request.
    /// </summary>
    public static string? For(string option, string value)
    {
        var items = value.Split(',');
        bool alone = value is "help" or "?";
        bool afterType = items.Length > 1 && items.Skip(1).Any(i => i is "help" or "?");
        return option switch
        {
            "machine" when alone => MachineTypes.Help(),
            "accel" when alone => Accelerators,
            "device" when alone => Devices,
            "object" when alone => Objects,
            "chardev" when alone => Chardevs,
            "device" or "object" when afterType && HasType(items[0]) => TypeProperties(items[0]),
            _ => null,
        };
    }
}
