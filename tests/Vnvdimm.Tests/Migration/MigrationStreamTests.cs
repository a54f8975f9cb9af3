using Vnvdimm.Migration;
using Vnvdimm.Options;
using Vnvdimm.Vmm;

namespace Vnvdimm.Tests.Migration;

public sealed class MigrationStreamTests
{
    [Fact]
    public void Records_round_trip_and_any_flipped_bit_is_caught()
    {
        var stream = new MemoryStream();
        MigrationStream.WriteStart(stream);
        MigrationStream.WriteRecord(stream, RecordType.Data, [1, 2], [3, 4, 5]);
        byte[] bytes = stream.ToArray();

        var buffer = new byte[MigrationStream.MaxPayload];
        var reader = new MemoryStream(bytes);
        MigrationStream.ReadStart(reader);
        Assert.Equal((RecordType.Data, 5), MigrationStream.ReadRecord(reader, buffer));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, buffer[..5]);

        for (int bit = 12 * 8; bit < bytes.Length * 8; bit += 7)
        {
            var corrupt = bytes.ToArray();
            corrupt[bit / 8] ^= (byte)(1 << (bit % 8));
            var r = new MemoryStream(corrupt);
            MigrationStream.ReadStart(r);
            Assert.ThrowsAny<Exception>(() => MigrationStream.ReadRecord(r, buffer));
        }
    }

    [Fact]
    public void A_foreign_or_newer_stream_is_refused_by_name()
    {
        Assert.Contains("bad magic", Assert.Throws<InvalidDataException>(() => MigrationStream.ReadStart(new MemoryStream(new byte[12]))).Message);
        var newer = new MemoryStream();
        MigrationStream.WriteStart(newer);
        var bytes = newer.ToArray();
        bytes[8] = 2;
        Assert.Contains("version 2", Assert.Throws<InvalidDataException>(() => MigrationStream.ReadStart(new MemoryStream(bytes))).Message);
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
        Assert.ThrowsAny<EndOfStreamException>(() => new MigrationDestination(c).Receive(stream));
    }
}
