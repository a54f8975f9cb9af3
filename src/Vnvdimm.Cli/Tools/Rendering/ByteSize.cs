namespace Vnvdimm.Cli.Tools.Rendering;

public static class ByteSize
{
    /// <summary>Bytes in binary units, three decimals at most, cut rather than rounded: 0x7ffe0000 is 1.999 GiB, never "2 GiB".</summary>
    public static string Human(ulong bytes)
    {
        var (unit, name) = bytes switch
        {
            >= 1UL << 30 => (1UL << 30, "GiB"),
            >= 1UL << 20 => (1UL << 20, "MiB"),
            >= 1UL << 10 => (1UL << 10, "KiB"),
            _ => (1UL, "B"),
        };
        decimal value = Math.Floor((decimal)bytes / unit * 1000) / 1000;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{value:0.###} {name}");
    }
}
