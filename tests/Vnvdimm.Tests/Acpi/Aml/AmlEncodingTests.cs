using Vnvdimm.Acpi.Aml;
using static Vnvdimm.Acpi.Aml.Aml;

namespace Vnvdimm.Tests.Acpi.Aml;

/// <summary>Each AML object against its encoding from ACPI 6.2A chapter 20, worked out by hand.</summary>
public sealed class AmlEncodingTests
{
    private static string Hex(IAml term) => Convert.ToHexString(term.ToAml());

    [Theory]
    [InlineData(0UL, "00")]
    [InlineData(1UL, "01")]
    [InlineData(2UL, "0A02")]
    [InlineData(0xffUL, "0AFF")]
    [InlineData(0x100UL, "0B0001")]
    [InlineData(0x0a18UL, "0B180A")]
    [InlineData(0x10000UL, "0C00000100")]
    [InlineData(0xffffffffUL, "0CFFFFFFFF")]
    [InlineData(0x100000000UL, "0E0000000001000000")]
    public void Integers_take_their_shortest_form(ulong value, string hex) => Assert.Equal(hex, Hex(Int(value)));

    [Theory]
    [InlineData("_SB", "5F53425F")]
    [InlineData("\\_SB", "5C5F53425F")]
    [InlineData("\\_SB.NVDR", "5C2E5F53425F4E564452")]
    [InlineData("A.B.C", "2F03415F5F5F425F5F5F435F5F5F")]
    [InlineData("^FOO", "5E464F4F5F")]
    [InlineData("\\", "5C00")]
    public void Name_strings(string path, string hex) => Assert.Equal(hex, Hex(Path(path)));

    [Theory]
    [InlineData(0, true, "01")]
    [InlineData(62, true, "3F")]
    [InlineData(63, true, "4104")]   // 63 + 2 bytes of length = 65 = 0x41
    [InlineData(4093, true, "4FFF")]   // 4093 + 2 = 4095: still two bytes
    [InlineData(4094, true, "810001")] // 4094 + 2 = 4096 needs three: 4097 = 0x1001
    [InlineData(62, false, "3E")]
    [InlineData(63, false, "4F03")]  // sized as if it counted itself, like QEMU and iASL
    [InlineData(32672, false, "80FA07")]
    public void Package_lengths(int length, bool includesItself, string hex)
    {
        var bytes = new AmlWriter(AmlPackageLength.Size(length));
        AmlPackageLength.Write(bytes, length, includesItself);
        Assert.Equal(hex, Convert.ToHexString(bytes.ToArray()));
    }

    [Fact]
    public void Strings_buffers_uuids_and_packages()
    {
        Assert.Equal("0D414350493030313200", Hex(new AmlString("ACPI0012")));
        Assert.Equal("11020 0".Replace(" ", ""), Hex(AmlBuffer.Zeroed(0)));
        Assert.Equal("11030100", Hex(new AmlBuffer([0])));
        Assert.Equal("110B0A08" + "0000000000000000", Hex(AmlBuffer.Zeroed(8)));
        Assert.Equal("11130A10" + "A4E7102F919EE41189D3123B93F75CBA", Hex(AmlBuffer.Uuid(Guid.Parse("2F10E7A4-9E91-11E4-89D3-123B93F75CBA"))));
        Assert.Equal("1206014F465354", Hex(new AmlPackage(Path("OFST"))));
        Assert.Equal("120E03" + "53545453" + "534C5341" + "4D415854", Hex(new AmlPackage(Path("STTS"), Path("SLSA"), Path("MAXT"))));
    }

    [Fact]
    public void Arguments_and_locals()
    {
        Assert.Equal("68", Hex(Arg(0)));
        Assert.Equal("6E", Hex(Arg(6)));
        Assert.Equal("60", Hex(Local(0)));
        Assert.Equal("67", Hex(Local(7)));
    }

    [Fact]
    public void Operators()
    {
        Assert.Equal("706860", Hex(Store(Arg(0), Local(0))));
        Assert.Equal("7461" + "0A04" + "61", Hex(Subtract(Local(1), Int(4), Local(1))));
        Assert.Equal("7261" + "62" + "00", Hex(Add(Local(1), Local(2))));
        Assert.Equal("7961" + "0A03" + "00", Hex(ShiftLeft(Local(1), Int(3))));
        Assert.Equal("7367" + "544255 46".Replace(" ", "") + "67", Hex(Concatenate(Local(7), Path("TBUF"), Local(7))));
        Assert.Equal("7562", Hex(Increment(Local(2))));
        Assert.Equal("836B", Hex(DerefOf(Arg(3))));
        Assert.Equal("876B", Hex(SizeOf(Arg(3))));
        Assert.Equal("8E6B", Hex(ObjectType(Arg(3))));
        Assert.Equal("886B0000", Hex(Index(Arg(3), Int(0))));
        Assert.Equal("93" + "6C" + "00", Hex(LEqual(Arg(4), Int(0))));
        Assert.Equal("95" + "61" + "0A08", Hex(LLess(Local(1), Int(8))));
        Assert.Equal("90" + "6801" + "00", Hex(LAnd(new AmlRaw(0x68, 0x01), Int(0))));
        Assert.Equal("91" + "68" + "69", Hex(LOr(Arg(0), Arg(1))));
        Assert.Equal("92" + "68", Hex(LNot(Arg(0))));
        Assert.Equal("96" + "4C444154" + "4C53415F", Hex(ToBuffer(Path("LDAT"), Path("LSA"))));
        Assert.Equal("8A" + "60" + "00" + "53545453", Hex(CreateDWordField(Local(0), Int(0), "STTS")));
        Assert.Equal("5B13" + "63" + "0A20" + "79" + "4C454E5F" + "0A03" + "00" + "4C444154",
            Hex(CreateField(Local(3), Int(32), ShiftLeft(Path("LEN"), Int(3)), "LDAT")));
        Assert.Equal("4E43414C" + "68" + "01", Hex(new AmlMethodCall("NCAL", Arg(0), Int(1))));
    }

    [Fact]
    public void Blocks_and_named_objects()
    {
        Assert.Equal("14085F44534D04A400", Hex(new AmlMethod("_DSM", 4, serialized: false, new AmlReturn(Int(0)))));
        Assert.Equal("14064E43414C0D", Hex(new AmlMethod("NCAL", 5, serialized: true)));
        Assert.Equal("A006" + "936800" + "A401", Hex(new AmlIf(LEqual(Arg(0), Int(0)), new AmlReturn(Int(1)))));
        Assert.Equal("A103" + "A400", Hex(new AmlElse(new AmlReturn(Int(0)))));
        Assert.Equal("A206" + "95" + "6261" + "7562", Hex(new AmlWhile(LLess(Local(2), Local(1)), Increment(Local(2)))));
        Assert.Equal("5B8205" + "4E564452", Hex(new AmlDevice("NVDR")));
        Assert.Equal("100B" + "5C2E5F53425F4E564452", Hex(new AmlScope("\\_SB.NVDR")));
        Assert.Equal("08" + "5F414452" + "01", Hex(new AmlNamedValue("_ADR", Int(1))));
        Assert.Equal("5B80" + "4E50494F" + "01" + "0B180A" + "0A04", Hex(new AmlOperationRegion("NPIO", AmlRegionSpace.SystemIo, Int(0x0a18), 4)));
        Assert.Equal("5B810B" + "4E50494F" + "03" + "4E544649" + "20",
            Hex(new AmlField("NPIO", AmlAccessType.DWord, AmlLockRule.NoLock, AmlUpdateRule.Preserve, new AmlFieldUnit("NTFI", 32))));
        Assert.Equal("5B8106" + "4E52414D" + "31",
            Hex(new AmlField("NRAM", AmlAccessType.Byte, AmlLockRule.Lock, AmlUpdateRule.WriteAsOnes)));
    }
}
