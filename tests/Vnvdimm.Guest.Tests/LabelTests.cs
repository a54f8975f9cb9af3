using System.Buffers.Binary;
using Vnvdimm.Guest.Labels;

namespace Vnvdimm.Guest.Tests;

/// <summary>The namespace-label code on an in-memory area: layout as Linux computes it, updates, and corruption reported.</summary>
public sealed class LabelTests
{
    private sealed class MemoryStorage(uint size) : ILabelStorage
    {
        public byte[] Bytes { get; } = new byte[size];
        public uint Size => (uint)Bytes.Length;
        public byte[] Read(uint offset, uint length) => Bytes.AsSpan((int)offset, (int)length).ToArray();
        public void Write(uint offset, ReadOnlySpan<byte> data) => data.CopyTo(Bytes.AsSpan((int)offset));
    }

    [Theory]
    [InlineData(LabelVersion.V1_2, 131072u, 510u, 256u)]
    [InlineData(LabelVersion.V1_1, 131072u, 1020u, 256u)]
    [InlineData(LabelVersion.V1_2, 1048576u, 4090u, 768u)]
    public void Geometry_is_linuxs(LabelVersion version, uint area, uint slots, uint indexSize)
    {
        var g = LabelGeometry.For(area, version)!;
        Assert.Equal((slots, indexSize), (g.SlotCount, g.IndexSize));
        Assert.True(2 * g.IndexSize + g.SlotCount * (uint)g.LabelSize <= area);
    }

    [Fact]
    public void Fletcher64_matches_the_definition()
    {
        // Words 1, 2, 3: lo = 1, 3, 6; hi = 1 + 3 + 6 = 10.
        byte[] data = [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0];
        Assert.Equal((10UL << 32) | 6, Fletcher64.Compute(data));
    }

    [Fact]
    public void Init_writes_two_index_blocks_with_sequence_3_and_2_and_every_slot_free()
    {
        var storage = new MemoryStorage(128 << 10);
        var state = new LabelStore(storage).Initialize(LabelVersion.V1_2);
        Assert.True(state.Initialized);
        Assert.Empty(state.Problems);
        Assert.Equal(0, state.CurrentBlock);
        Assert.Equal(510u, state.FreeSlots);
        Assert.Equal("NAMESPACE_INDEX\0"u8.ToArray(), storage.Bytes[..16]);
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(storage.Bytes.AsSpan(20)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(storage.Bytes.AsSpan(256 + 20)));
        Assert.Equal((ushort)2, BinaryPrimitives.ReadUInt16LittleEndian(storage.Bytes.AsSpan(62)));
        Assert.Equal(1, storage.Bytes[19]); // 256-byte labels
        // Free bits beyond the 510 slots are clear.
        Assert.Equal(0x3f, storage.Bytes[72 + 63]);
    }

    [Fact]
    public void Create_and_destroy_alternate_index_blocks_and_keep_the_old_one_until_the_new_is_written()
    {
        var storage = new MemoryStorage(128 << 10);
        var store = new LabelStore(storage);
        store.Initialize(LabelVersion.V1_2);
        var a = store.Create(new NamespaceRequest(16 << 20, "first", Guid.NewGuid()), 64 << 20, 16 << 20, 0x1234, NamespaceLabel.PmemTypeGuid);
        var b = store.Create(new NamespaceRequest(32 << 20, "second", Guid.NewGuid()), 64 << 20, 16 << 20, 0x1234, NamespaceLabel.PmemTypeGuid);
        Assert.Equal((0u, 0UL), (a.Slot, a.Dpa));
        Assert.Equal((1u, 16UL << 20), (b.Slot, b.Dpa));

        var state = store.Load();
        Assert.Equal(0, state.CurrentBlock); // seq 3 → 1 (block 1) → 2 (block 0)
        Assert.Equal(["first", "second"], state.Labels.Select(l => l.Name));
        Assert.Equal(0x1234UL, state.Labels[0].InterleaveSetCookie);

        store.Destroy(a.Uuid);
        state = store.Load();
        Assert.Equal(b.Uuid, Assert.Single(state.Labels).Uuid);
        // The freed extent is reused first.
        var c = store.Create(new NamespaceRequest(16 << 20, "third", Guid.NewGuid()), 64 << 20, 16 << 20, 0x1234, NamespaceLabel.PmemTypeGuid);
        Assert.Equal(0UL, c.Dpa);
        Assert.StartsWith("no 33554432-byte extent free",
            Assert.Throws<InvalidOperationException>(() => store.Create(
                new NamespaceRequest(32 << 20, "too big", Guid.NewGuid()),
                64 << 20, 16 << 20, 0x1234, NamespaceLabel.PmemTypeGuid)).Message);
        Assert.Equal("size 1048576 is not a non-zero multiple of the region alignment 16777216",
            Assert.Throws<InvalidOperationException>(() => store.Create(
                new NamespaceRequest(1 << 20, "unaligned", Guid.NewGuid()),
                64 << 20, 16 << 20, 0x1234, NamespaceLabel.PmemTypeGuid)).Message);
    }

    [Fact]
    public void V1_1_labels_are_128_bytes_without_checksum_and_read_back()
    {
        var storage = new MemoryStorage(128 << 10);
        var store = new LabelStore(storage);
        store.Initialize(LabelVersion.V1_1);
        var uuid = Guid.Parse("0123abcd-4567-89ab-cdef-0123456789ab");
        store.Create(new NamespaceRequest(4096, "old", uuid), 1 << 20, 4096, 0x77, NamespaceLabel.PmemTypeGuid);
        var state = store.Load();
        Assert.Equal(LabelVersion.V1_1, state.Version);
        var label = Assert.Single(state.Labels);
        Assert.Equal((uuid, "old", Guid.Empty), (label.Uuid, label.Name, label.TypeGuid));
        // RFC 4122 byte order in the label, as Linux's uuid_t.
        Assert.Equal(new byte[] { 0x01, 0x23, 0xab, 0xcd }, storage.Bytes[512..516]);
    }

    [Fact]
    public void A_bad_checksum_in_one_block_is_reported_and_the_other_used()
    {
        var storage = new MemoryStorage(128 << 10);
        var store = new LabelStore(storage);
        store.Initialize(LabelVersion.V1_2);
        storage.Bytes[100] ^= 0xff; // inside block 0's free bitmap
        var state = store.Load();
        Assert.Equal(1, state.CurrentBlock);
        Assert.Contains(state.Problems, p => p.StartsWith("index block 0 invalid (bad checksum", StringComparison.Ordinal));
        // Never repaired behind the user's back, and refused for writing: the area stays as it was.
        var before = storage.Bytes.ToArray();
        Assert.Contains("refusing to change it",
            Assert.Throws<InvalidOperationException>(() => store.Create(
                new NamespaceRequest(16 << 20, "x", Guid.NewGuid()),
                64 << 20, 16 << 20, 1, NamespaceLabel.PmemTypeGuid)).Message);
        Assert.Equal(before, storage.Bytes);
    }

    [Fact]
    public void Both_blocks_invalid_and_overlapping_labels_are_reported()
    {
        var storage = new MemoryStorage(128 << 10);
        var store = new LabelStore(storage);
        store.Initialize(LabelVersion.V1_2);
        var a = store.Create(new NamespaceRequest(16 << 20, "a", Guid.NewGuid()), 64 << 20, 16 << 20, 1, NamespaceLabel.PmemTypeGuid);
        store.Create(new NamespaceRequest(16 << 20, "b", Guid.NewGuid()), 64 << 20, 16 << 20, 1, NamespaceLabel.PmemTypeGuid);
        // Rewrite label b to start inside a, with a valid checksum: a label set Linux would refuse.
        var state = store.Load();
        var b = state.Labels.Single(l => l.Name == "b") with { Dpa = 8 << 20 };
        storage.Write(state.Geometry!.SlotOffset(b.Slot), b.ToBytes(LabelVersion.V1_2));
        Assert.Contains(store.Load().Problems, p => p.Contains("overlap", StringComparison.Ordinal));

        storage.Bytes[30] ^= 1;
        storage.Bytes[256 + 30] ^= 1;
        var broken = store.Load();
        Assert.False(broken.Initialized);
        Assert.Contains(broken.Problems, p => p.StartsWith("both index blocks invalid", StringComparison.Ordinal));
        Assert.NotEqual(Guid.Empty, a.Uuid);
    }

    [Fact]
    public void A_label_with_a_bad_checksum_is_reported_not_used()
    {
        var storage = new MemoryStorage(128 << 10);
        var store = new LabelStore(storage);
        store.Initialize(LabelVersion.V1_2);
        store.Create(new NamespaceRequest(16 << 20, "a", Guid.NewGuid()), 64 << 20, 16 << 20, 1, NamespaceLabel.PmemTypeGuid);
        storage.Bytes[512 + 20] ^= 1; // the name
        var state = store.Load();
        Assert.Empty(state.Labels);
        Assert.Contains("slot 0: bad label checksum", state.Problems);
    }

    [Fact]
    public void An_all_zero_area_is_uninitialised_without_problems()
    {
        var state = new LabelStore(new MemoryStorage(128 << 10)).Load();
        Assert.False(state.Initialized);
        Assert.Empty(state.Problems);
    }
}
