using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Vnvdimm.Guest.Labels;
using Vnvdimm.Guest.Namespaces;
using Vnvdimm.Guest.Namespaces.Btt;
using Vnvdimm.Testing;

namespace Vnvdimm.Guest.Tests;

/// <summary>The BTT (sector mode) layout: against what Linux 6.1 wrote, and Linux's rules over many sizes.</summary>
public sealed class BttTests
{
    private const ulong MiB = 1UL << 20, GiB = 1UL << 30;
    private const uint LabelSize = 128 << 10;
    private static readonly string FixtureDir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "linux-6.1");

    // ---- Against Linux 6.1's own sector namespaces ----

    /// <summary>A Linux-made backing file, unzipped, and its sector namespace ("linux-sector") as its label places it.</summary>
    private sealed record LinuxSector(string Path, NamespaceLabel Label, BttVersion Version, ulong ListedSize, Guid ListedUuid)
    {
        public static LinuxSector Unzip(TempFolder dir, string labels)
        {
            string path = dir.File($"labels-v{labels}.img");
            using (var gz = new GZipStream(File.OpenRead(System.IO.Path.Combine(FixtureDir, $"labels-v{labels}.img.gz")), CompressionMode.Decompress))
            using (var file = File.Create(path))
                gz.CopyTo(file);
            using var storage = new FileLabelStorage(path, LabelSize, writable: false);
            var state = new LabelStore(storage).Load();
            var label = state.Labels.Single(l => l.Name == "linux-sector");
            // What `ndctl list` said of it once Linux had made it.
            using var listing = JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(FixtureDir, $"labels-v{labels}.ndctl.json")));
            var listed = listing.RootElement.GetProperty("regions").EnumerateArray()
                .SelectMany(r => r.TryGetProperty("namespaces", out var ns) ? ns.EnumerateArray() : Enumerable.Empty<JsonElement>())
                .Single(n => n.TryGetProperty("name", out var name) && name.GetString() == "linux-sector");
            Assert.Equal(4096, listed.GetProperty("sector_size").GetInt32());
            return new LinuxSector(path, label, BttVersion.ForLabels(state.Version), listed.GetProperty("size").GetUInt64(),
                Guid.Parse(listed.GetProperty("uuid").GetString()!));
        }

        public ulong RegionSize => (ulong)new FileInfo(Path).Length - LabelSize;
    }

    [Theory]
    [InlineData("1.1", 1, 32440320UL)]
    [InlineData("1.2", 2, 32444416UL)]
    public void Linux_made_sector_namespace_probes_to_the_size_Linux_listed(string labels, int major, ulong measured)
    {
        using var dir = new TempFolder();
        var linux = LinuxSector.Unzip(dir, labels);
        using var media = new FileRegionMedia(linux.Path, linux.RegionSize, writable: false);

        var (summary, problem) = BttFormat.Probe(media, linux.Label.Dpa, linux.Label.RawSize, linux.Version, linux.Label.Uuid);

        Assert.Null(problem);
        Assert.Equal(major, linux.Version.Major);
        Assert.Equal(measured, linux.ListedSize);
        Assert.Equal(new BttSummary(4096, measured / 4096, measured, linux.ListedUuid, 1), summary);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("1.2")]
    public void Format_into_a_zeroed_copy_of_the_namespace_leaves_the_backing_file_byte_identical_to_Linuxs(string labels)
    {
        using var dir = new TempFolder();
        var linux = LinuxSector.Unzip(dir, labels);
        string copy = dir.File("copy.img");
        File.Copy(linux.Path, copy);
        using (var blank = new FileRegionMedia(copy, linux.RegionSize, writable: true))
            blank.Write(linux.Label.Dpa, new byte[linux.Label.RawSize]);
        Assert.NotEqual(File.ReadAllBytes(linux.Path), File.ReadAllBytes(copy));

        BttSummary summary;
        using (var media = new FileRegionMedia(copy, linux.RegionSize, writable: true))
            summary = BttFormat.Format(media, linux.Label.Dpa, linux.Label.RawSize, linux.Version, 4096, linux.ListedUuid, linux.Label.Uuid);

        Assert.Equal(linux.ListedSize, summary.Size);
        // The whole file: info, data (Linux wrote none), map, log, info2, and nothing outside the namespace touched.
        Assert.True(File.ReadAllBytes(linux.Path).AsSpan().SequenceEqual(File.ReadAllBytes(copy)), "the formatted copy differs from Linux's file");
    }

    [Fact]
    public void The_Linux_made_info_blocks_parse_with_the_layout_Linux_computes()
    {
        using var dir = new TempFolder();
        foreach (var labels in new[] { "1.1", "1.2" })
        {
            var linux = LinuxSector.Unzip(dir, labels);
            using var media = new FileRegionMedia(linux.Path, linux.RegionSize, writable: false);
            ulong start = linux.Label.Dpa + linux.Version.InitialOffset;
            var (info, status) = BttInfoBlock.Parse(media.Read(start, BttInfoBlock.Size));
            Assert.Equal(BttInfoStatus.Valid, status);
            var arena = Assert.Single(BttLayout.For(linux.Label.RawSize - linux.Version.InitialOffset, 4096).Arenas);
            Assert.Equal(arena.Info(linux.Version, linux.ListedUuid, linux.Label.Uuid), info);
            Assert.Equal(media.Read(start, BttInfoBlock.Size), info!.ToBytes());
            Assert.Equal(media.Read(start, BttInfoBlock.Size), media.Read(start + info.Info2Off, BttInfoBlock.Size));
        }
    }

    // ---- Linux's geometry over many sizes ----

    public static TheoryData<ulong, uint> SizesAndSectors()
    {
        ulong[] sizes =
        [
            16 * MiB - 4096, 16 * MiB, 16 * MiB + 4096, 16 * MiB + 1, 32 * MiB - 4096, 40 * MiB + 12345, 1 * GiB + 511, 100 * GiB + 7,
            512 * GiB - 4096, 512 * GiB, 512 * GiB + 4096, 512 * GiB + 16 * MiB - 1, 512 * GiB + 16 * MiB, 1024 * GiB + 17 * MiB + 3,
            3 * 512 * GiB + 5 * MiB, 2048 * GiB,
        ];
        var data = new TheoryData<ulong, uint>();
        foreach (uint sector in BttLayout.SupportedSectorSizes)
            foreach (ulong size in sizes)
                data.Add(size, sector);
        return data;
    }

    [Theory]
    [MemberData(nameof(SizesAndSectors))]
    public void Arenas_tile_the_raw_space_as_Linux_creates_them(ulong rawSize, uint sectorSize)
    {
        var layout = BttLayout.For(rawSize, sectorSize);

        ulong offset = 0;
        for (int i = 0; i < layout.Arenas.Count; i++)
        {
            var a = layout.Arenas[i];
            Assert.Equal(offset, a.Offset);
            Assert.Equal(Math.Min(BttLayout.ArenaMaxSize, rawSize - offset), a.Size);
            Assert.True(a.Size >= BttLayout.ArenaMinSize);
            bool last = i == layout.Arenas.Count - 1;
            Assert.Equal(last ? 0 : a.Size, a.NextOff);

            // Sizes: internal blocks are the external ones rounded up to 64; one free block per lane.
            Assert.Equal((sectorSize + 63) / 64 * 64, a.InternalLbaSize);
            Assert.Equal(sectorSize, a.ExternalLbaSize);
            Assert.Equal(256u, a.Nfree);
            Assert.Equal(a.InternalNlba - a.Nfree, a.ExternalNlba);

            // Parts in order, inside the arena, page aligned, each big enough; info2 in the arena's last whole page.
            Assert.Equal(4096UL, a.DataOff);
            Assert.True(a.DataOff + (ulong)a.InternalNlba * a.InternalLbaSize <= a.MapOff);
            Assert.True((ulong)a.ExternalNlba * 4 <= a.MapSize && a.MapSize % 4096 == 0 && a.MapSize - (ulong)a.ExternalNlba * 4 < 4096);
            Assert.Equal(16384UL, a.LogSize);
            Assert.Equal(a.Size / 4096 * 4096 - 4096, a.Info2Off);
            Assert.True(a.MapOff % 4096 == 0 && a.LogOff % 4096 == 0);

            // As many blocks as fit: one more (block and map entry) would not leave the page Linux keeps for the map's rounding.
            ulong available = a.Size / 4096 * 4096 - 2 * 4096 - a.LogSize;
            Assert.True((ulong)a.InternalNlba * (a.InternalLbaSize + 4) <= available - 4096);
            Assert.True((a.InternalNlba + 1UL) * (a.InternalLbaSize + 4) > available - 4096);
            Assert.True(a.ExternalNlba < 1u << 30, "a map entry holds a 30-bit block number");
            offset += a.Size;
        }
        // What is left over is under one arena's minimum: Linux leaves it unused.
        Assert.True(rawSize - offset < BttLayout.ArenaMinSize);
        Assert.Equal(rawSize >= BttLayout.ArenaMinSize, layout.Arenas.Count > 0);
        Assert.Equal(layout.Arenas.Aggregate(0UL, (s, a) => s + a.ExternalNlba) * (sectorSize >= 4096 ? 4096UL : 512UL), layout.Size);
    }

    [Theory]
    [InlineData(512 * GiB + 8 * MiB, 1, 512 * GiB)]
    [InlineData(512 * GiB + 16 * MiB - 4096, 1, 512 * GiB)]
    [InlineData(512 * GiB + 16 * MiB, 2, 16 * MiB)]
    [InlineData(40 * MiB + 8 * MiB, 1, 48 * MiB)]
    public void A_remainder_under_16_MiB_after_a_full_arena_is_dropped_and_a_smaller_BTT_keeps_it_all(ulong rawSize, int arenas, ulong lastSize)
    {
        var layout = BttLayout.For(rawSize, 4096);
        Assert.Equal(arenas, layout.Arenas.Count);
        Assert.Equal(lastSize, layout.Arenas[^1].Size);
        Assert.Equal(0UL, layout.Arenas[^1].NextOff);
    }

    // ---- Format and Probe ----

    public static TheoryData<ulong, uint, bool> RoundTrips()
    {
        var data = new TheoryData<ulong, uint, bool>();
        foreach (uint sector in BttLayout.SupportedSectorSizes)
        {
            data.Add(16 * MiB + 4096, sector, false);
            data.Add(16 * MiB, sector, true);
            data.Add(40 * MiB + 12345, sector, false);
            data.Add(33 * MiB + 511, sector, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void Format_then_Probe_gives_back_the_layouts_size_and_the_media_holds_what_Linux_writes(ulong namespaceSize, uint sectorSize, bool v2)
    {
        var version = v2 ? BttVersion.V2_0 : BttVersion.V1_1;
        const ulong at = 3 * MiB;
        // Whatever was there before: Linux rewrites the map and log, and leaves the data blocks as they are.
        var media = new MemoryMedia(at + namespaceSize + MiB);
        media.Fill(0xA5);
        Guid uuid = Guid.NewGuid(), parent = Guid.NewGuid();

        var formatted = BttFormat.Format(media, at, namespaceSize, version, sectorSize, uuid, parent);
        var (probed, problem) = BttFormat.Probe(media, at, namespaceSize, version, parent);

        var layout = BttLayout.For(namespaceSize - version.InitialOffset, sectorSize);
        var expected = new BttSummary(sectorSize, layout.ExternalSectors, layout.Size, uuid, 1);
        Assert.Null(problem);
        Assert.Equal(expected, formatted);
        Assert.Equal(expected, probed);
        Assert.True(media.Flushes > 0);

        var arena = layout.Arenas[0];
        ulong start = at + version.InitialOffset;
        var info = media.Read(start, BttInfoBlock.Size);
        Assert.Equal(arena.Info(version, uuid, parent).ToBytes(), info);
        Assert.Equal(info, media.Read(start + arena.Info2Off, BttInfoBlock.Size));
        Assert.False(media.Read(start + arena.MapOff, (int)arena.MapSize).AsSpan().ContainsAnyExcept((byte)0));
        var log = media.Read(start + arena.LogOff, (int)arena.LogSize);
        for (uint lane = 0; lane < arena.Nfree; lane++)
        {
            var group = log.AsSpan((int)(lane * 64), 64);
            Assert.Equal(new[] { lane, arena.ExternalNlba + lane, arena.ExternalNlba + lane, 1u },
                new[] { BinaryPrimitives.ReadUInt32LittleEndian(group), BinaryPrimitives.ReadUInt32LittleEndian(group[4..]),
                 BinaryPrimitives.ReadUInt32LittleEndian(group[8..]), BinaryPrimitives.ReadUInt32LittleEndian(group[12..]) });
            Assert.False(group[16..].ContainsAnyExcept((byte)0));
        }
        // Nothing else was written: before the BTT, its data blocks, past its last whole page, past the namespace.
        Assert.False(media.Read(0, (int)start).AsSpan().ContainsAnyExcept((byte)0xA5));
        Assert.False(media.Read(start + arena.DataOff, (int)(arena.MapOff - arena.DataOff)).AsSpan().ContainsAnyExcept((byte)0xA5));
        ulong end = start + arena.Info2Off + BttInfoBlock.Size;
        Assert.False(media.Read(end, (int)(media.Size - end)).AsSpan().ContainsAnyExcept((byte)0xA5));
    }

    [Fact]
    public void A_namespace_without_a_BTT_probes_to_nothing_in_either_version()
    {
        var media = new MemoryMedia(32 * MiB);
        AssertNoBtt(BttFormat.Probe(media, 0, 32 * MiB, BttVersion.V1_1, Guid.NewGuid()));
        AssertNoBtt(BttFormat.Probe(media, 0, 32 * MiB, BttVersion.V2_0, Guid.NewGuid()));

        // Each version looks only where it keeps its first arena: a BTT of the other version is not seen.
        BttFormat.Format(media, 0, 32 * MiB, BttVersion.V2_0, 4096, Guid.NewGuid(), Guid.Empty);
        AssertNoBtt(BttFormat.Probe(media, 0, 32 * MiB, BttVersion.V1_1, Guid.NewGuid()));
    }

    [Fact]
    public void A_flipped_byte_in_the_info_block_is_a_checksum_problem()
    {
        var media = new MemoryMedia(32 * MiB);
        Guid parent = Guid.NewGuid();
        BttFormat.Format(media, 0, 32 * MiB, BttVersion.V1_1, 512, Guid.NewGuid(), parent);
        var block = media.Read(4096, BttInfoBlock.Size);

        foreach (int at in new[] { 16, 60, 200, 4087, 4095 })
        {
            var bad = (byte[])block.Clone();
            bad[at] ^= 0x10;
            Assert.Equal(BttInfoStatus.BadChecksum, BttInfoBlock.Parse(bad).Status);
            media.Write(4096, bad);
            var (summary, problem) = BttFormat.Probe(media, 0, 32 * MiB, BttVersion.V1_1, parent);
            Assert.Null(summary);
            Assert.Contains("checksum", problem);
        }
        // A damaged signature is no BTT at all, as Linux sees it.
        var unsigned = (byte[])block.Clone();
        unsigned[3] ^= 0x10;
        Assert.Equal(BttInfoStatus.NoSignature, BttInfoBlock.Parse(unsigned).Status);
    }

    [Fact]
    public void Another_namespaces_BTT_is_a_problem_and_a_label_less_one_belongs_to_any()
    {
        var media = new MemoryMedia(32 * MiB);
        Guid parent = Guid.NewGuid(), other = Guid.NewGuid();
        BttFormat.Format(media, 0, 32 * MiB, BttVersion.V2_0, 4096, Guid.NewGuid(), parent);

        var (summary, problem) = BttFormat.Probe(media, 0, 32 * MiB, BttVersion.V2_0, other);
        Assert.Null(summary);
        Assert.Contains($"belongs to namespace {parent}, not {other}", problem);

        BttFormat.Format(media, 0, 32 * MiB, BttVersion.V2_0, 4096, Guid.NewGuid(), Guid.Empty);
        Assert.Null(BttFormat.Probe(media, 0, 32 * MiB, BttVersion.V2_0, other).Problem);
    }

    [Fact]
    public void An_info_block_of_the_other_version_or_one_larger_than_the_namespace_is_a_problem()
    {
        var media = new MemoryMedia(64 * MiB);
        Guid parent = Guid.NewGuid();
        BttFormat.Format(media, 0, 64 * MiB, BttVersion.V2_0, 4096, Guid.NewGuid(), parent);

        // The same BTT seen through a shorter namespace: its arena runs past the end.
        var (summary, problem) = BttFormat.Probe(media, 0, 32 * MiB, BttVersion.V2_0, parent);
        Assert.Null(summary);
        Assert.Contains("past the namespace's end", problem);

        var arena = BttLayout.For(64 * MiB, 4096).Arenas[0];
        media.Write(0, arena.Info(BttVersion.V1_1, Guid.NewGuid(), parent).ToBytes());
        Assert.Contains("is BTT 1.1, the namespace's labels call for BTT 2.0", BttFormat.Probe(media, 0, 64 * MiB, BttVersion.V2_0, parent).Problem);

        media.Write(0, (arena.Info(BttVersion.V2_0, Guid.NewGuid(), parent) with { MapOff = arena.LogOff - 4096 }).ToBytes());
        Assert.Contains("do not fit", BttFormat.Probe(media, 0, 64 * MiB, BttVersion.V2_0, parent).Problem);
    }

    [Theory]
    [InlineData(1024u)]
    [InlineData(4100u)]
    [InlineData(0u)]
    public void An_unsupported_sector_size_is_refused_before_anything_is_written(uint sectorSize)
    {
        var media = new MemoryMedia(32 * MiB);
        var refused = Assert.Throws<InvalidOperationException>(
            () => BttFormat.Format(media, 0, 32 * MiB, BttVersion.V1_1, sectorSize, Guid.NewGuid(), Guid.Empty));
        Assert.Equal($"sector size {sectorSize} is not supported for a BTT; Linux accepts 512, 520, 528, 4096, 4104, 4160, 4224", refused.Message);
        Assert.Equal(0, media.Writes);
    }

    [Fact]
    public void A_namespace_too_small_for_one_16_MiB_arena_is_refused_before_anything_is_written()
    {
        var media = new MemoryMedia(32 * MiB);
        // BTT 1.1 loses its first 4 KiB: 16 MiB is too small for it, but just right for 2.0.
        var refused = Assert.Throws<InvalidOperationException>(
            () => BttFormat.Format(media, 0, 16 * MiB, BttVersion.V1_1, 4096, Guid.NewGuid(), Guid.Empty));
        Assert.Equal("a 16777216-byte namespace is too small for a BTT 1.1: it needs at least 16781312 bytes (one 16 MiB arena)", refused.Message);
        Assert.Equal(0, media.Writes);
        Assert.Equal(1, BttFormat.Format(media, 0, 16 * MiB, BttVersion.V2_0, 4096, Guid.NewGuid(), Guid.Empty).Arenas);
    }

    [Fact]
    public void An_interrupted_format_over_an_old_BTT_leaves_no_BTT_at_all()
    {
        Guid parent = Guid.NewGuid(), old = Guid.NewGuid();
        var media = new MemoryMedia(32 * MiB);
        BttFormat.Format(media, 0, 32 * MiB, BttVersion.V1_1, 512, old, parent);
        // Damage the old map so this format has map zeros to write too.
        var arena = BttLayout.For(32 * MiB - 4096, 4096).Arenas[0];
        media.Write(4096 + arena.MapOff + 4096, [1, 2, 3]);
        var before = media.Read(0, (int)(32 * MiB));
        int writes = new MemoryMedia((byte[])before.Clone()).FormatCounting(parent);
        var unwritten = new MemoryMedia((byte[])before.Clone()) { WriteBudget = 0 };
        Assert.Throws<IOException>(() => BttFormat.Format(unwritten, 0, 32 * MiB, BttVersion.V1_1, 4096, Guid.NewGuid(), parent));
        Assert.Equal(old, BttFormat.Probe(unwritten, 0, 32 * MiB, BttVersion.V1_1, parent).Summary?.Uuid);

        // Once anything is written, the old BTT is gone, and the new one appears only with its first info block, the last write.
        Assert.Equal(5, writes); // old info block cleared, the damaged map chunk, log, info2, info
        for (int budget = 1; budget < writes; budget++)
        {
            var crashing = new MemoryMedia((byte[])before.Clone()) { WriteBudget = budget };
            Assert.Throws<IOException>(() => BttFormat.Format(crashing, 0, 32 * MiB, BttVersion.V1_1, 4096, Guid.NewGuid(), parent));
            AssertNoBtt(BttFormat.Probe(crashing, 0, 32 * MiB, BttVersion.V1_1, parent));
        }
    }

    // ---- Beyond one arena, on sparse files ----

    [Fact]
    public void A_BTT_over_512_GiB_has_two_arenas_stays_sparse_and_a_broken_second_arena_is_a_problem()
    {
        using var dir = new TempFolder();
        const ulong at = 64 * MiB, size = 4096 + 512 * GiB + 32 * MiB;
        string path = dir.Sparse("big.img", (long)(at + size + MiB), fill: 0);
        Guid uuid = Guid.NewGuid(), parent = Guid.NewGuid();
        using var media = new FileRegionMedia(path, at + size + MiB, writable: true);

        var stopwatch = Stopwatch.StartNew();
        var formatted = BttFormat.Format(media, at, size, BttVersion.V1_1, 4096, uuid, parent);
        var (probed, problem) = BttFormat.Probe(media, at, size, BttVersion.V1_1, parent);

        Assert.Null(problem);
        var layout = BttLayout.For(size - 4096, 4096);
        Assert.Equal(new[] { 512 * GiB, 32 * MiB }, layout.Arenas.Select(a => a.Size));
        Assert.Equal(new BttSummary(4096, layout.ExternalSectors, layout.Size, uuid, 2), formatted);
        Assert.Equal(formatted, probed);
        Assert.True(AllocatedBytes(path) < 4 * MiB, $"{AllocatedBytes(path)} bytes allocated: the zero map was written");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"took {stopwatch.Elapsed}");

        // The second arena's info block: a flipped byte, then gone.
        ulong second = at + 4096 + 512 * GiB;
        var block = media.Read(second, BttInfoBlock.Size);
        media.Write(second + 100, [1]);
        Assert.Equal("arena 1 (0x8000000000 into the BTT 1.1's space): info block checksum mismatch",
            BttFormat.Probe(media, at, size, BttVersion.V1_1, parent).Problem);
        media.Write(second, new byte[BttInfoBlock.Size]);
        Assert.Contains("arena 1 (0x8000000000 into the BTT 1.1's space): no BTT info block",
            BttFormat.Probe(media, at, size, BttVersion.V1_1, parent).Problem);
        media.Write(second, block);
        Assert.Equal(formatted, BttFormat.Probe(media, at, size, BttVersion.V1_1, parent).Summary);
    }

    [Fact]
    public void The_remainder_under_16_MiB_after_512_GiB_is_left_untouched()
    {
        using var dir = new TempFolder();
        const ulong size = 512 * GiB + 8 * MiB;
        string path = dir.Sparse("big.img", (long)size, fill: 0);
        using var media = new FileRegionMedia(path, size, writable: true);
        var tail = new byte[8 * MiB];
        Array.Fill(tail, (byte)0x5A);
        media.Write(512 * GiB, tail);

        var formatted = BttFormat.Format(media, 0, size, BttVersion.V2_0, 4224, Guid.NewGuid(), Guid.Empty);

        Assert.Equal(1, formatted.Arenas);
        Assert.Equal(formatted, BttFormat.Probe(media, 0, size, BttVersion.V2_0, Guid.NewGuid()).Summary);
        Assert.Equal(tail, media.Read(512 * GiB, tail.Length));
        Assert.Equal(0UL, BttInfoBlock.Parse(media.Read(0, BttInfoBlock.Size)).Block!.NextOff);
    }

    private static void AssertNoBtt((BttSummary? Summary, string? Problem) probed)
    {
        Assert.Null(probed.Summary);
        Assert.Null(probed.Problem);
    }

    private static ulong AllocatedBytes(string path)
    {
        var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true })!;
        string[] parts = stat.StandardOutput.ReadToEnd().Split(' ');
        stat.WaitForExit();
        return ulong.Parse(parts[0]) * ulong.Parse(parts[1]);
    }

    /// <summary>A region in memory that counts writes and flushes, and can fail (as a crash would) after a number of writes.</summary>
    private sealed class MemoryMedia(byte[] bytes) : IRegionMedia
    {
        public MemoryMedia(ulong size) : this(new byte[size]) { }

        public int Writes { get; private set; }
        public int Flushes { get; private set; }
        public int WriteBudget { get; init; } = int.MaxValue;
        public ulong Size => (ulong)bytes.Length;

        public byte[] Read(ulong offset, int length) => bytes.AsSpan(checked((int)offset), length).ToArray();

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            if (Writes == WriteBudget)
                throw new IOException("simulated crash");
            Writes++;
            data.CopyTo(bytes.AsSpan(checked((int)offset)));
        }

        public void Flush() => Flushes++;

        public void Fill(byte value) => Array.Fill(bytes, value);

        public int FormatCounting(Guid parent)
        {
            BttFormat.Format(this, 0, Size, BttVersion.V1_1, 4096, Guid.NewGuid(), parent);
            return Writes;
        }
    }
}
