using System.IO.Compression;
using System.Text.Json.Nodes;
using Vnvdimm.Testing;

namespace Vnvdimm.Guest.Tests;

/// <summary>The backing files Linux 6.1 made namespaces in (Fixtures/linux-6.1/README.md), unpacked into a scratch folder.</summary>
public static class LinuxFixtures
{
    public const uint LabelSize = 128 << 10;

    /// <summary>Where QEMU put slot 0's region, and slots 1 and 2 (label-less) of the fixtures' machine.</summary>
    public const ulong Slot0Base = 0x1_0000_0000, Slot1Base = 0x1_0820_0000, Slot2Base = 0x1_0c20_0000;

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures", "linux-6.1");

    /// <summary>Unpacks <paramref name="name"/> (without .img.gz) into <paramref name="dir"/>; returns its path.</summary>
    public static string Unpack(TempFolder dir, string name)
    {
        string path = dir.File($"{name}.img");
        using var source = new GZipStream(File.OpenRead(Path.Combine(Folder, $"{name}.img.gz")), CompressionMode.Decompress);
        using var target = File.Create(path);
        source.CopyTo(target);
        return path;
    }

    /// <summary>What <c>ndctl list -DRN</c> printed after Linux made the namespaces of <paramref name="name"/>.</summary>
    public static JsonNode Listing(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, $"{name}.ndctl.json")))!;

    /// <summary>The namespaces of the listing's region <paramref name="region"/>, ordered by device name.</summary>
    public static IReadOnlyList<JsonNode> Namespaces(JsonNode listing, string region) =>
        [.. listing["regions"]!.AsArray().Single(r => r!["dev"]!.GetValue<string>() == region)!["namespaces"]!.AsArray()
            .Select(n => n!).OrderBy(n => n["dev"]!.GetValue<string>(), StringComparer.Ordinal)];
}
