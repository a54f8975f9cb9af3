using Vnvdimm.Migration;
using Vnvdimm.Options;
using Vnvdimm.Vmm;

namespace Vnvdimm.Tests.Migration;

public sealed class MigrationStreamTests
{
    [Fact]
    public void Records_round_trip_and_every_flipped_bit_is_caught_for_what_it_breaks()
    {
        // A representative data record (region 1, offset 0x1000, 64 bytes), followed by another record as in a real stream.
        byte[] head = [1, 0, 0x00, 0x10, 0, 0, 0, 0, 0, 0];
        byte[] body = [.. Enumerable.Range(0, 64).Select(i => (byte)(i * 37 + 5))];
        var stream = new MemoryStream();
        MigrationStream.WriteStart(stream);
        MigrationStream.WriteRecord(stream, RecordType.Data, head, body);
        MigrationStream.WriteRecord(stream, RecordType.End, new byte[8]);
        byte[] bytes = stream.ToArray();
        const int Start = 12, Length = Start + 4;
        int recordEnd = Start + MigrationStream.HeaderSize + head.Length + body.Length + MigrationStream.TrailerSize;

        var buffer = new byte[MigrationStream.MaxPayload];
        var reader = new MemoryStream(bytes);
        MigrationStream.ReadStart(reader);
        Assert.Equal((RecordType.Data, 74), MigrationStream.ReadRecord(reader, buffer));
        Assert.Equal([.. head, .. body], buffer[..74]);
        Assert.Equal((RecordType.End, 8), MigrationStream.ReadRecord(reader, buffer));

        // Every bit of the start and of the data record, flipped alone.
        for (int bit = 0; bit < recordEnd * 8; bit++)
        {
            var corrupt = bytes.ToArray();
            corrupt[bit / 8] ^= (byte)(1 << (bit % 8));
            var r = new MemoryStream(corrupt);
            if (bit < Start * 8)
            {
                var refused = Assert.Throws<InvalidDataException>(() => MigrationStream.ReadStart(r));
                Assert.Equal(
                    bit < 64
                        ? "not a vnvdimm migration stream (bad magic)"
                        : $"migration stream version {2u ^ (1u << (bit - 64))}; this vnvdimm reads version 2",
                    refused.Message);
                continue;
            }
            MigrationStream.ReadStart(r);
            uint length = BitConverter.ToUInt32(corrupt, Length);
            if (length > MigrationStream.MaxPayload)
            {
                // The length field now claims more than any record may hold.
                Assert.Equal($"migration record of {length} bytes exceeds the {MigrationStream.MaxPayload}-byte limit",
                    Assert.Throws<InvalidDataException>(() => MigrationStream.ReadRecord(r, buffer)).Message);
            }
            else if (Start + MigrationStream.HeaderSize + length + MigrationStream.TrailerSize > corrupt.Length)
            {
                // A longer record than the stream holds: cut short, never taken for a record.
                Assert.Throws<EndOfStreamException>(() => MigrationStream.ReadRecord(r, buffer));
            }
            else
            {
                // Anything else (type, a shorter or longer length, payload, hash) fails the checksum, naming the type as read.
                var type = (RecordType)BitConverter.ToUInt32(corrupt, Start);
                Assert.Equal($"migration record of type {type} failed its checksum: the stream is corrupt",
                    Assert.Throws<InvalidDataException>(() => MigrationStream.ReadRecord(r, buffer)).Message);
            }
        }
    }

    [Fact]
    public void A_foreign_or_newer_stream_is_refused_by_name()
    {
        Assert.Contains("bad magic", Assert.Throws<InvalidDataException>(() => MigrationStream.ReadStart(new MemoryStream(new byte[12]))).Message);
        var newer = new MemoryStream();
        MigrationStream.WriteStart(newer);
        var bytes = newer.ToArray();
        bytes[8] = 3;
        Assert.Contains("version 3", Assert.Throws<InvalidDataException>(() => MigrationStream.ReadStart(new MemoryStream(bytes))).Message);
        bytes[8] = 1; // the layout before device state came in sections
        Assert.Contains("migration stream version 1; this vnvdimm reads version 2",
            Assert.Throws<InvalidDataException>(() => MigrationStream.ReadStart(new MemoryStream(bytes))).Message);
        var huge = new MemoryStream();
        huge.Write(BitConverter.GetBytes(2u));
        huge.Write(BitConverter.GetBytes(64u << 20));
        huge.Position = 0;
        Assert.Contains("exceeds", Assert.Throws<InvalidDataException>(() => MigrationStream.ReadRecord(huge, new byte[16])).Message);
    }

    [Fact]
    public void A_machine_that_differs_is_named_and_a_cut_stream_fails()
    {
        using var dir = new Scratch();
        Machine Build(string labelSize, string file) => MachineBuilder.Build(CommandLineParser.Parse([
            "-machine", "pc,nvdimm=on", "-m", "64M,slots=2,maxmem=1G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File(file)},size=16M",
            "-device", $"nvdimm,id=nv0,memdev=m0,label-size={labelSize}"]).Configuration, new TestLogger());
        using var a = Build("128K", "a.img");
        using var b = Build("256K", "b.img");
        var mismatch = MachineDescription.Of(a, _ => false).Mismatch(MachineDescription.Of(b, _ => false));
        Assert.Contains("label-size=262144", mismatch);
        Assert.Null(MachineDescription.Of(a, _ => false).Mismatch(MachineDescription.Of(a, _ => false)));

        // Only a description, no end: the destination must not take it for a complete copy.
        var stream = new MemoryStream();
        MigrationStream.WriteStart(stream);
        MigrationStream.WriteRecord(stream, RecordType.Description, MachineDescription.Of(a, _ => false).ToJson());
        stream.Position = 0;
        using var c = Build("128K", "c.img");
        Assert.Throws<EndOfStreamException>(() => new MigrationDestination(c).Receive(stream));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{\"machine-type\":null}")]
    [InlineData("{\"machine-type\":\"pc\",\"ram-size\":\"big\"}")]
    [InlineData("{\"machine-type\":\"pc\",\"ram-size\":1,\"slots\":2,\"max-mem\":3,\"nvdimm\":true," +
        "\"persistence\":\"Cpu\",\"backends\":null,\"nvdimms\":[]}")]
    [InlineData("{\"machine-type\":\"pc\",\"ram-size\":1,\"slots\":2,\"max-mem\":3,\"nvdimm\":true," +
        "\"persistence\":\"Cpu\",\"backends\":[null],\"nvdimms\":[]}")]
    [InlineData("\u00ff\u00fe{")]
    public void A_description_that_is_not_a_complete_machine_is_refused_as_a_bad_stream(string json)
    {
        var bytes = System.Text.Encoding.Latin1.GetBytes(json);
        var e = Assert.Throws<InvalidDataException>(() => MachineDescription.FromJson(bytes));
        Assert.StartsWith("the machine description is", e.Message, StringComparison.Ordinal);
    }
}
