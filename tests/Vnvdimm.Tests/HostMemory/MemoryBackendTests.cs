using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;
using Vnvdimm.Testing;

namespace Vnvdimm.Tests.HostMemory;

public sealed class MemoryBackendTests
{
    private const ulong M = 1UL << 20;

    private static MemoryBackend Open(BackendOptions options, out bool created, ILogger? logger = null) =>
        MemoryBackend.Open(BackendDescriptor.From(options), logger ?? new TestLogger(), out created);

    /// <summary>512-byte blocks the file occupies on disk (stat %b): what sparse files do not pay for.</summary>
    private static long AllocatedBlocks(string path)
    {
        var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%b", path]) { RedirectStandardOutput = true })!;
        string text = stat.StandardOutput.ReadToEnd();
        stat.WaitForExit();
        return long.Parse(text.Trim());
    }

    [Fact]
    public void Shared_mapping_writes_reach_the_file_private_ones_do_not()
    {
        using var dir = new Scratch();
        string shared = dir.File("shared.img"), priv = dir.File("private.img");
        using (var backend = Open(new BackendOptions("s", 4 * M, true, shared), out bool created))
        {
            Assert.True(created);
            backend.Mapping.Span(M, 5).Fill(0x42);
        }
        File.WriteAllBytes(priv, new byte[4 * M]);
        using (var backend = Open(new BackendOptions("p", 4 * M, false, priv), out bool created))
        {
            Assert.False(created);
            backend.Mapping.Span(M, 5).Fill(0x42);
        }
        Assert.Equal(0x42, File.ReadAllBytes(shared)[(int)M + 4]);
        Assert.Equal(0, File.ReadAllBytes(priv)[(int)M + 4]);
    }

    [Fact]
    public void A_terabyte_backend_is_sparse_and_untouched()
    {
        using var dir = new Scratch();
        string path = dir.File("huge.img");
        using var backend = Open(new BackendOptions("h", 1UL << 40, true, path), out _);
        Assert.Equal(1L << 40, new FileInfo(path).Length);
        Assert.Equal(0, AllocatedBlocks(path));
    }

    [Fact]
    public void Prealloc_allocates_every_page_without_changing_content()
    {
        using var dir = new Scratch();
        string path = dir.File("pre.img");
        var content = new byte[2 * M];
        content[12345] = 7;
        File.WriteAllBytes(path, content);
        using (var backend = Open(new BackendOptions("p", 2 * M, true, path, Prealloc: true), out _))
            Assert.Equal(7, backend.Mapping.Span(12345, 1)[0]);
        Assert.Equal(7, File.ReadAllBytes(path)[12345]);
    }

    [Fact]
    public void Larger_existing_file_keeps_its_size_smaller_one_is_refused_untouched()
    {
        using var dir = new Scratch();
        string big = dir.File("big.img"), small = dir.File("small.img");
        File.WriteAllBytes(big, new byte[8 * M]);
        File.WriteAllBytes(small, [1, 2, 3]);
        using (Open(new BackendOptions("b", 4 * M, true, big), out _))
        {
        }
        Assert.Equal(8 * (long)M, new FileInfo(big).Length);

        var e = Assert.Throws<ConfigurationException>(
            () => BackendPreflight.Check(BackendDescriptor.From(new BackendOptions("s", 4 * M, true, small))));
        Assert.Contains("backing store size 0x3 does not match 'size' option 0x400000", e.Message);
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(small));
    }

    [Fact]
    public void Readonly_maps_read_only_and_never_creates()
    {
        using var dir = new Scratch();
        string missing = dir.File("missing.img");
        Assert.Contains("can't open backing store",
            Assert.Throws<ConfigurationException>(() => BackendPreflight.Check(
                BackendDescriptor.From(new BackendOptions("r", 4 * M, true, missing, Readonly: true)))).Message);
        Assert.False(File.Exists(missing));

        string present = dir.File("ro.img");
        File.WriteAllBytes(present, new byte[4 * M]);
        File.SetUnixFileMode(present, UnixFileMode.UserRead);
        using var backend = Open(new BackendOptions("r", 4 * M, true, present, Readonly: true), out _);
        Assert.False(backend.Mapping.Writable);
    }

    [Fact]
    public void Discard_data_punches_the_content_out_at_exit()
    {
        using var dir = new Scratch();
        string path = dir.File("discard.img");
        using (var backend = Open(new BackendOptions("d", 4 * M, true, path, DiscardData: true), out _))
            backend.Mapping.Span(0, (int)(4 * M)).Fill(0x99);
        Assert.All(File.ReadAllBytes(path), b => Assert.Equal(0, b));
        Assert.Equal(0, AllocatedBlocks(path));
    }

    [SkippableFact]
    public void Pmem_on_a_file_that_is_not_dax_falls_back_with_a_warning()
    {
        Skip();
        using var dir = new Scratch();
        var logger = new TestLogger();
        using var backend = Open(new BackendOptions("p", 4 * M, true, dir.File("pmem.img"), Pmem: true), out _, logger);
        Assert.False(backend.MapSync);
        Assert.Equal(WriteDurability.LibpmemThenMsync, backend.Durability); // libpmem loaded, msync after it
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("MAP_SYNC", warning.Message);
        Assert.Contains("not a DAX file", warning.Message);
    }

    private static void Skip() =>
        Prerequisite.Require(Libpmem.TryLoad(Libpmem.ConfiguredName) is not null, Prerequisite.LibpmemMissing);

    [Theory]
    [InlineData(3 * M, "must be a power of two")]
    [InlineData(1000UL, "must be multiples of page size")]
    public void Bad_alignment_is_refused(ulong align, string phrase) =>
        Assert.Contains(phrase,
            Assert.Throws<ConfigurationException>(() => BackendDescriptor.From(new BackendOptions("a", 4 * M, true, "/x", align))).Message);

    [Fact]
    public void Alignment_defaults_to_page_for_files_and_2M_for_ram()
    {
        Assert.Equal(4096UL, BackendDescriptor.From(new BackendOptions("f", 4 * M, true, "/x")).Alignment);
        Assert.Equal(2 * M, BackendDescriptor.From(new BackendOptions("r", 4 * M, false)).Alignment);
        Assert.Equal(8192UL, BackendDescriptor.From(new BackendOptions("r", 5000, false)).Size);
    }

    /// <summary>
    /// A write that faults half-way has changed the pages before the fault: they are marked dirty, so that
    /// a running migration sends them again rather than leaving the destination with the old bytes. The
    /// fault: a page whose blocks another program punched out of a full filesystem.
    /// </summary>
    [SkippableFact]
    public void A_write_that_faults_half_way_marks_what_it_changed_for_migration()
    {
        using var small = new Vnvdimm.Testing.SmallFilesystem(2);
        string path = small.File("nv.img");
        using var backend = Open(new BackendOptions("m", 4 * M, true, path), out _);
        backend.Mapping.Write(0, new byte[0x10000]); // the first granule's blocks are reserved and written
        small.FillUp();
        var punch = Process.Start(new ProcessStartInfo("fallocate", ["--punch-hole", "--offset", "0x1000", "--length", "0x1000", path]))!;
        punch.WaitForExit();
        Assert.Equal(0, punch.ExitCode);
        small.FillUp("filler2");

        backend.Mapping.StartDirtyLog();
        var fault = Assert.Throws<StorageFault>(() => backend.Mapping.Fill(0, 0x2000, 0x77));
        Assert.Contains("its filesystem is full or failing", fault.Message);
        var firstPage = new byte[0x1000];
        backend.Mapping.Read(0, firstPage);
        Assert.All(firstPage, b => Assert.Equal(0x77, b)); // the page before the fault was written...
        Assert.Equal(1UL, backend.Mapping.TakeDirty()[0] & 1); // ...and is marked for migration
    }
}
