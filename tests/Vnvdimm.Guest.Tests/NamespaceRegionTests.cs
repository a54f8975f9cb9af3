using Vnvdimm.Cli.Tools.Targets;
using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Namespaces;
using Vnvdimm.Testing;

namespace Vnvdimm.Guest.Tests;

/// <summary>Namespace creation as the guest and the offline tools both do it, on a real backing file's label area.</summary>
public sealed class NamespaceRegionTests
{
    private const uint LabelSize = 128 << 10;
    private const ulong PmemSize = 64UL << 20;

    private static string InitialisedFile(TempFolder dir)
    {
        string path = dir.File("nv0.img");
        using (var f = File.OpenWrite(path))
            f.SetLength((long)PmemSize + LabelSize);
        using var storage = new FileLabelStorage(path, LabelSize, writable: true);
        new LabelStore(storage).Initialize(LabelVersion.V1_2);
        return path;
    }

    private static NamespaceRequest Request() => new(16UL << 20, "db", Guid.NewGuid());

    [Fact]
    public void A_read_only_region_is_refused_and_its_label_area_left_as_it_was()
    {
        using var dir = new TempFolder();
        string path = InitialisedFile(dir);
        byte[] before = File.ReadAllBytes(path);
        using var storage = new FileLabelStorage(path, LabelSize, writable: true);
        using var media = new FileRegionMedia(path, PmemSize, writable: false);
        var region = new NamespaceRegion("region0", OfflineRegion.InSlot(PmemSize, 0, unarmed: true), new LabelStore(storage), media,
            "an unarmed DIMM");

        var refused = Assert.Throws<InvalidOperationException>(() => region.Create(Request()));
        Assert.Equal("region0: read-only (an unarmed DIMM), ineligible for namespace creation", refused.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_writable_region_gets_a_label_with_the_cookie_of_the_sets_version()
    {
        using var dir = new TempFolder();
        string path = InitialisedFile(dir);
        using var storage = new FileLabelStorage(path, LabelSize, writable: true);
        var store = new LabelStore(storage);
        var slot = OfflineRegion.InSlot(PmemSize, 0);
        var request = Request();

        using var media = new FileRegionMedia(path, PmemSize, writable: true);
        var (label, _) = new NamespaceRegion("nv0.img", slot, store, media, "no write permission").Create(request);
        Assert.Equal((request.Uuid, 0UL, 0u, slot.Cookie2), (label.Uuid, label.Dpa, label.Slot, label.InterleaveSetCookie));
        Assert.Equal(request.Uuid, Assert.Single(store.Load().Labels).Uuid);
    }

    [Fact]
    public void A_region_whose_dimm_has_no_label_area_says_so()
    {
        using var dir = new TempFolder();
        string path = InitialisedFile(dir);
        using var media = new FileRegionMedia(path, PmemSize, writable: false);
        var region = new NamespaceRegion("region0", OfflineRegion.InSlot(PmemSize, 0), null, media, "an unarmed DIMM");
        var refused = Assert.Throws<InvalidOperationException>(() => region.Create(Request()));
        Assert.Equal("region0: its DIMM has no label area (label-size=0)", refused.Message);
    }

    [Fact]
    public void A_file_is_read_only_when_nobody_may_write_it()
    {
        using var dir = new TempFolder();
        string path = dir.File("nv0.img");
        File.WriteAllBytes(path, []);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Assert.True(FileLabelStorage.IsReadOnly(path));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        Assert.False(FileLabelStorage.IsReadOnly(path));
    }
}
