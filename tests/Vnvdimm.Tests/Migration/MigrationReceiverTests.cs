using System.Buffers.Binary;
using System.Security.Cryptography;
using CsCheck;
using Vnvdimm.HostMemory;
using Vnvdimm.Migration;
using Vnvdimm.Options;
using Vnvdimm.Vmm;

namespace Vnvdimm.Tests.Migration;

/// <summary>
/// The destination is strict: a stream whose records are well checksummed but say the wrong things
/// (content missing, a FIT that is not this machine's, a malformed device state, records out of
/// order) never completes. Streams are built record by record with valid checksums, so that the
/// receiver's own checks, not the checksum, are what is tested.
/// </summary>
public sealed class MigrationReceiverTests : IDisposable
{
    private readonly Scratch _dir = new();

    private Machine Build(string file, string extra = "", bool unarmed = false) => MachineBuilder.Build(CommandLineParser.Parse([
        "-machine", "pc,nvdimm=on", "-m", "16M,slots=2,maxmem=1G",
        "-object", $"memory-backend-file,id=m0,share=on,mem-path={_dir.File(file)},size=4M{extra}",
        "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K" + (unarmed ? ",unarmed=on" : "")]).Configuration, new TestLogger());

    private static byte[] Pass(int n)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(payload, n);
        return payload;
    }

    private static byte[] Zero(int region, ulong offset, ulong length)
    {
        var payload = new byte[18];
        BinaryPrimitives.WriteUInt16LittleEndian(payload, (ushort)region);
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(2), offset);
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(10), length);
        return payload;
    }

    private static byte[] Data(int region, ulong offset, byte[] data)
    {
        var payload = new byte[10 + data.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(payload, (ushort)region);
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(2), offset);
        data.CopyTo(payload, 10);
        return payload;
    }

    /// <summary>A device-state record written out by hand (docs/migration-stream.md), not by the code under test.</summary>
    private static byte[] DeviceState(Machine machine, byte[]? fit = null, string runState = "running",
        params (string Name, byte[] State)[] extra)
    {
        var gpe = new byte[((Vnvdimm.Migration.IMigratableState)machine.Gpe).SaveState().Length];
        (string, byte[])[] sections = [("fit", [0, .. fit ?? machine.Fit.Snapshot().Fit]), ("gpe0", gpe),
            ("runstate", System.Text.Encoding.ASCII.GetBytes(runState)), .. extra];
        var record = new List<byte>();
        foreach (var (name, state) in sections)
        {
            record.Add((byte)name.Length);
            record.AddRange(System.Text.Encoding.ASCII.GetBytes(name));
            record.AddRange(BitConverter.GetBytes((uint)state.Length));
            record.AddRange(state);
        }
        return [.. record];
    }

    /// <summary>The state of section <paramref name="name"/> in a device-state record, empty when absent or malformed.</summary>
    private static byte[] Section(byte[] record, string name)
    {
        for (int at = 0; at < record.Length;)
        {
            int nameLength = record[at];
            if (at + 1 + nameLength + 4 > record.Length)
                break;
            string found = System.Text.Encoding.ASCII.GetString(record, at + 1, nameLength);
            int length = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(at + 1 + nameLength)), int.MaxValue);
            at += 1 + nameLength + 4;
            if (length > record.Length - at)
                break;
            if (found == name)
                return record[at..(at + length)];
            at += length;
        }
        return [];
    }

    /// <summary>A complete, valid stream for <paramref name="source"/>: every region in zero records, with one data chunk in the NVDIMM.</summary>
    private static List<(RecordType Type, byte[] Payload)> ValidRecords(Machine source, byte[] chunk)
    {
        var regions = MigrationRegion.Of(source, _ => false);
        var records = new List<(RecordType, byte[])>
        {
            (RecordType.Description, MachineDescription.Of(source, _ => false).ToJson()),
            (RecordType.Pass, Pass(1)),
        };
        for (int i = 0; i < regions.Count; i++)
        {
            if (regions[i].Name != "ram")
            {
                records.Add((RecordType.Data, Data(i, 0, chunk)));
                records.Add((RecordType.Zero, Zero(i, (ulong)chunk.Length, regions[i].Size - (ulong)chunk.Length)));
            }
            else
            {
                records.Add((RecordType.Zero, Zero(i, 0, regions[i].Size)));
            }
        }
        records.Add((RecordType.DeviceState, DeviceState(source)));
        records.Add((RecordType.End, new byte[8]));
        return records;
    }

    private static MemoryStream Serialize(IEnumerable<(RecordType Type, byte[] Payload)> records)
    {
        var stream = new MemoryStream();
        MigrationStream.WriteStart(stream);
        foreach (var (type, payload) in records)
            MigrationStream.WriteRecord(stream, type, payload);
        stream.Position = 0;
        return stream;
    }

    [Fact]
    public void A_complete_stream_is_taken_and_its_content_arrives()
    {
        using var source = Build("a.img");
        using var destination = Build("b.img");
        var chunk = RandomNumberGenerator.GetBytes(8192);
        new MigrationDestination(destination).Receive(Serialize(ValidRecords(source, chunk)));
        Assert.Equal(chunk, File.ReadAllBytes(_dir.File("b.img"))[..8192]);
    }

    /// <summary>
    /// A stream cut before its first data record has changed nothing: no mark, the file as it was, and the reason in the
    /// user's words rather than .NET's.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_stream_cut_before_any_data_leaves_no_mark_and_says_the_source_hung_up(int keep)
    {
        using var source = Build("a.img");
        var records = ValidRecords(source, RandomNumberGenerator.GetBytes(4096));
        Assert.True(records.Take(keep).All(r => r.Type is not (RecordType.Data or RecordType.Zero)));
        string image = _dir.File("b.img");
        using var destination = Build("b.img");
        byte[] before = File.ReadAllBytes(image);
        var cut = Assert.Throws<EndOfStreamException>(() => new MigrationDestination(destination).Receive(Serialize(records.Take(keep))));
        Assert.Equal(MigrationStream.CutShort, cut.Message);
        Assert.Null(IncompleteCopyMark.Read(image));
        Assert.Equal(before, File.ReadAllBytes(image));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(64)]
    public void An_end_record_of_the_wrong_size_does_not_complete_the_copy(int size)
    {
        using var source = Build("a.img");
        var records = ValidRecords(source, new byte[4096]);
        Assert.Equal(RecordType.End, records[^1].Type);
        records[^1] = (RecordType.End, new byte[size]);
        using var destination = Build("b.img");
        var refused = Assert.Throws<InvalidDataException>(() => new MigrationDestination(destination).Receive(Serialize(records)));
        Assert.Equal($"an end record of {size} bytes (8 expected)", refused.Message);
        Assert.NotNull(IncompleteCopyMark.Read(_dir.File("b.img")));
    }

    [Fact]
    public void A_copy_that_fails_half_way_is_marked_refused_at_start_and_cleared_by_a_complete_one()
    {
        using var source = Build("a.img");
        var chunk = RandomNumberGenerator.GetBytes(8192);
        var records = ValidRecords(source, chunk);
        string image = _dir.File("b.img");
        using (var destination = Build("b.img"))
        {
            // Cut after the first data record: the file has changed, the copy is not complete.
            int cut = records.FindIndex(r => r.Type == RecordType.Data) + 1;
            Assert.Throws<EndOfStreamException>(() => new MigrationDestination(destination).Receive(Serialize(records.Take(cut))));
        }
        Assert.Contains("incoming migration into", IncompleteCopyMark.Read(image));

        var refused = Assert.Throws<ConfigurationException>(() => Build("b.img"));
        Assert.Contains("holds an incomplete migration copy", refused.Message);
        Assert.Contains(IncompleteCopyMark.PathFor(image), refused.Message);

        // As the destination of a new migration it starts, and the completed copy clears the mark.
        using var again = MachineBuilder.Build(CommandLineParser.Parse([
            "-machine", "pc,nvdimm=on", "-m", "16M,slots=2,maxmem=1G", "-incoming", "defer",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={image},size=4M",
            "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K"]).Configuration, new TestLogger());
        new MigrationDestination(again).Receive(Serialize(records));
        Assert.Null(IncompleteCopyMark.Read(image));
        Assert.False(File.Exists(IncompleteCopyMark.PathFor(image)));
    }

    [Fact]
    public void A_stream_of_only_the_description_and_the_end_never_completes()
    {
        using var source = Build("a.img");
        using var destination = Build("b.img");
        var records = ValidRecords(source, new byte[4096]);
        var e = Assert.Throws<InvalidDataException>(() =>
            new MigrationDestination(destination).Receive(Serialize([records[0], records[1], records[^1]])));
        Assert.Contains("covered to 0x0 of", e.Message);
    }

    [Fact]
    public void Content_with_a_gap_or_no_device_state_or_a_foreign_fit_never_completes()
    {
        using var source = Build("a.img");
        using var destination = Build("b.img");
        var valid = ValidRecords(source, new byte[4096]);
        int deviceState = valid.FindIndex(r => r.Type == RecordType.DeviceState);

        var gap = valid.Select(r => (r.Type, Payload: (byte[])r.Payload.Clone())).ToList();
        // The zero record after the NVDIMM's data chunk, moved on by a page (and shortened, to stay inside the region).
        var (_, payload) = gap.First(r => r.Type == RecordType.Zero && BinaryPrimitives.ReadUInt64LittleEndian(r.Payload.AsSpan(2)) == 4096);
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(2), 8192);
        BinaryPrimitives.WriteUInt64LittleEndian(payload.AsSpan(10), BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(10)) - 4096);
        Assert.Contains("jumps from",
            Assert.Throws<InvalidDataException>(() => new MigrationDestination(destination).Receive(Serialize(gap))).Message);

        var noState = valid.Where((_, i) => i != deviceState).ToList();
        Assert.Contains("without the device state",
            Assert.Throws<InvalidDataException>(() => new MigrationDestination(destination).Receive(Serialize(noState))).Message);

        var garbage = valid.ToList();
        garbage[deviceState] = (RecordType.DeviceState, DeviceState(source, RandomNumberGenerator.GetBytes(1 << 20)));
        Assert.Contains("does not describe this machine's NVDIMMs",
            Assert.Throws<InvalidDataException>(() => new MigrationDestination(destination).Receive(Serialize(garbage))).Message);
        Assert.False(destination.Fit.Dirty && destination.Fit.Snapshot().Fit.Length == 1 << 20); // nothing of it was applied
    }

    [Theory]
    [InlineData("unknown", "carries section 'hpet', which this machine does not have")]
    [InlineData("twice", "carries section 'gpe0' twice")]
    [InlineData("missing", "lacks section 'runstate'")]
    [InlineData("gpe-length", "carries 3 GPE0 status bytes; this machine has 2")]
    [InlineData("run-state", "the source's run state 'inmigrate' is not one a migration leaves")]
    [InlineData("fit-flag", "the FIT's migration state is malformed")]
    [InlineData("cut", "the device state record is malformed")]
    public void The_device_state_must_hold_exactly_this_machines_sections_each_valid(string flaw, string message)
    {
        using var source = Build("a.img");
        using var destination = Build("b.img");
        var records = ValidRecords(source, new byte[4096]);
        int at = records.FindIndex(r => r.Type == RecordType.DeviceState);
        byte[] fit = source.Fit.Snapshot().Fit;
        byte[] state = flaw switch
        {
            "unknown" => DeviceState(source, extra: ("hpet", [1])),
            "twice" => DeviceState(source, extra: ("gpe0", [0, 0])),
            "missing" => DeviceState(source)[..^(1 + "runstate".Length + 4 + "running".Length)],
            "gpe-length" => ReplaceSection(DeviceState(source), "gpe0", [0, 0, 0]),
            "run-state" => DeviceState(source, runState: "inmigrate"),
            "fit-flag" => ReplaceSection(DeviceState(source), "fit", [2, .. fit]),
            _ => DeviceState(source)[..^1],
        };
        records[at] = (RecordType.DeviceState, state);
        var before = destination.Fit.Snapshot();
        var e = Assert.Throws<InvalidDataException>(() => new MigrationDestination(destination).Receive(Serialize(records)));
        Assert.Contains(message, e.Message);
        Assert.Equal(before, destination.Fit.Snapshot()); // nothing of it applied
    }

    private static byte[] ReplaceSection(byte[] record, string name, byte[] state)
    {
        byte[] old = Section(record, name);
        int start = IndexOf(record, [(byte)name.Length, .. System.Text.Encoding.ASCII.GetBytes(name)]);
        int stateAt = start + 1 + name.Length + 4;
        return [.. record[..(start + 1 + name.Length)], .. BitConverter.GetBytes((uint)state.Length), .. state, .. record[(stateAt + old.Length)..]];
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);

    [Fact]
    public void The_run_state_arrives_and_decides_what_the_destination_does_after_the_copy()
    {
        using var source = Build("a.img");
        var records = ValidRecords(source, new byte[4096]);
        int at = records.FindIndex(r => r.Type == RecordType.DeviceState);
        foreach (var (sent, expected) in new[] { ("running", RunState.Running), ("paused", RunState.Paused), ("prelaunch", RunState.Prelaunch) })
        {
            using var destination = MachineBuilder.Build(CommandLineParser.Parse([
                "-machine", "pc,nvdimm=on", "-m", "16M,slots=2,maxmem=1G", "-incoming", "defer",
                "-object", $"memory-backend-file,id=m0,share=on,mem-path={_dir.File($"in-{sent}.img")},size=4M",
                "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K"]).Configuration, new TestLogger());
            records[at] = (RecordType.DeviceState, DeviceState(source, runState: sent));
            new MigrationDestination(destination).Receive(Serialize(records));
            Assert.Equal(RunState.InMigrate, destination.RunState);
            destination.FinishIncomingMigration();
            Assert.Equal(expected, destination.RunState);
        }
    }

    [Fact]
    public void A_read_only_destination_refuses_before_anything_is_written()
    {
        using var source = Build("a.img", unarmed: true);
        File.WriteAllBytes(_dir.File("ro.img"), new byte[4 << 20]);
        using var destination = Build("ro.img", ",readonly=on", unarmed: true);
        var e = Assert.Throws<InvalidDataException>(
            () => new MigrationDestination(destination).Receive(Serialize(ValidRecords(source, new byte[4096]))));
        Assert.Contains("memory backend 'm0' is read-only here", e.Message);
    }

    [Fact]
    public void A_failing_flush_ends_the_receiving_promptly_instead_of_blocking_it()
    {
        using var machine = Build("a.img");
        var region = MigrationRegion.Of(machine, _ => false).First(r => r.Name == "m0");
        using var persister = new MigrationDestination.Persister((_, _, _) => throw new IOException("Input/output error"));
        var e = Assert.Throws<IOException>(() =>
        {
            for (int i = 0; i < 10 * MigrationDestination.Persister.MaxPending; i++) // would block forever on the full queue
                persister.Add(region, 0, 4096);
        });
        Assert.Contains("making the copy durable failed: Input/output error", e.Message);
    }

    private static readonly Gen<int> Mutation = Gen.Int[0, 7];

    [Fact]
    public void Mutated_and_truncated_streams_fail_with_a_reason_and_never_complete()
    {
        using var source = Build("a.img");
        using var destination = Build("b.img");
        var valid = ValidRecords(source, RandomNumberGenerator.GetBytes(4096));
        Gen.Select(Mutation, Gen.Int[0, valid.Count - 1], Gen.Int[0, 1 << 20], Gen.Byte.Array[0, 64]).Sample((kind, at, number, bytes) =>
        {
            var records = valid.Select(r => (r.Type, (byte[])r.Payload.Clone())).ToList();
            switch (kind)
            {
                case 0: records.RemoveAt(at); break;                                                  // a record missing
                case 1: records.Insert(at, records[number % records.Count]); break;                   // a record repeated
                case 2: records[at] = (records[at].Item1, bytes); break;                               // a payload replaced
                case 3: records[at] = ((RecordType)(number % 9), records[at].Item2); break;            // a type changed
                // a bit flipped, checksum valid
                case 4: records[at].Item2[number % Math.Max(1, records[at].Item2.Length)] ^= (byte)(1 << (number % 8)); break;
                case 5: records.RemoveRange(at, records.Count - at); break;                            // cut short
                case 6: (records[at], records[number % records.Count]) = (records[number % records.Count], records[at]); break; // reordered
                default: records.Insert(at, (RecordType.Zero, Zero(number % 4, (ulong)number << 12, ulong.MaxValue - (ulong)number))); break;
            }
            var stream = Serialize(records);
            try
            {
                new MigrationDestination(destination).Receive(stream);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
            {
                return true; // refused with a reason
            }
            // Completed: only a stream that still carries every zero range and this machine's FIT may (a changed
            // description where this machine does not look, such as a file's inode, or changed GPE bits are still valid).
            static byte[] Fit(byte[] record) => Section(record, "fit") is [_, .. var fit] ? fit : [];
            var fit = Fit(valid.Single(v => v.Type == RecordType.DeviceState).Payload);
            return valid.Where(v => v.Type == RecordType.Zero)
                    .All(v => records.Any(r => r.Item1 == v.Type && r.Item2.AsSpan().SequenceEqual(v.Payload)))
                && records.Any(r => r.Item1 == RecordType.DeviceState && Fit(r.Item2).AsSpan().SequenceEqual(fit));
        }, iter: 2000, threads: 1);
    }

    public void Dispose() => _dir.Dispose();
}
