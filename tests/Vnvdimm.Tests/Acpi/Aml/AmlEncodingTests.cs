using Vnvdimm.Acpi;
using Vnvdimm.Acpi.Aml;
using static Vnvdimm.Acpi.Aml.Aml;

namespace Vnvdimm.Tests.Acpi.Aml;

/// <summary>
/// Each AML object kind against its encoding, worked out from ACPI 6.2A chapter 20 and shown under
/// the ASL it encodes. iasl 20200925 compiles each ASL line to the same bytes, but for the fixed
/// DWord, which it shortens to Zero.
/// </summary>
public sealed class AmlEncodingTests
{
    /// <summary>The terms' encoding, written in order, against the expected hex (spaces only for reading).</summary>
    private static void Expect(string hex, params IAml[] terms) =>
        Assert.Equal(hex.Replace(" ", ""), Convert.ToHexString(AmlRaw.Encode(terms).ToAml()));

    [Theory]
    [InlineData(0UL, "00")] // Zero
    [InlineData(1UL, "01")] // One
    [InlineData(2UL, "0A 02")] // 0x02
    [InlineData(0xffUL, "0A FF")] // 0xFF
    [InlineData(0x100UL, "0B 0001")] // 0x0100
    [InlineData(0x0a18UL, "0B 180A")] // 0x0A18
    [InlineData(0xffffUL, "0B FFFF")] // 0xFFFF
    [InlineData(0x10000UL, "0C 00000100")] // 0x00010000
    [InlineData(0xffffffffUL, "0C FFFFFFFF")] // 0xFFFFFFFF
    [InlineData(0x100000000UL, "0E 0000000001000000")] // 0x0000000100000000
    [InlineData(0xfffffffffffffffeUL, "0E FEFFFFFFFFFFFFFF")] // 0xFFFFFFFFFFFFFFFE
    public void Integers_take_their_shortest_form(ulong value, string hex) => Expect(hex, Int(value));

    [Fact]
    public void A_fixed_dword_keeps_its_width()
    {
        // Name (MEMA, 0x00000000), as QEMU writes it for the loader to patch: a DWordConst, not Zero
        Expect("08 4D454D41 0C 00000000", new AmlNamedValue("MEMA", new AmlDWord(0)));
    }

    [Fact]
    public void Strings()
    {
        // Name (_HID, "ACPI0012")
        Expect("08 5F484944 0D 4143504930303132 00", new AmlNamedValue("_HID", new AmlString("ACPI0012")));
        // ""
        Expect("0D 00", new AmlString(""));
    }

    [Fact]
    public void Buffers()
    {
        // Buffer (Zero) { }
        Expect("11 02 00", AmlBuffer.Zeroed(0));
        // Buffer (One) { 0x00 }
        Expect("11 03 01 00", new AmlBuffer([0]));
        // Buffer (0x02) { 0x12, 0x34 }
        Expect("11 05 0A02 1234", new AmlBuffer([0x12, 0x34]));
        // ToUUID ("2f10e7a4-9e91-11e4-89d3-123b93f75cba"): the first three fields little-endian
        Expect("11 13 0A10 A4E7102F 919E E411 89D3 123B93F75CBA", AmlBuffer.Uuid(new Guid("2f10e7a4-9e91-11e4-89d3-123b93f75cba")));
    }

    [Fact]
    public void Packages()
    {
        // Package (Zero) { }
        Expect("12 02 00", new AmlPackage());
        // Package (One) { OFST }
        Expect("12 06 01 4F465354", new AmlPackage(Path("OFST")));
        // Package (0x03) { One, 0x02, "A" }
        Expect("12 08 03 01 0A02 0D4100", new AmlPackage(Int(1), Int(2), new AmlString("A")));
    }

    [Theory]
    [InlineData("_SB", "5F53425F")] // _SB: padded with '_'
    [InlineData("LEN", "4C454E5F")]
    [InlineData("\\_SB", "5C 5F53425F")] // \_SB: RootChar
    [InlineData("^OFST", "5E 4F465354")] // ^OFST: ParentPrefixChar
    [InlineData("^^OFST", "5E5E 4F465354")]
    [InlineData("\\_SB.NVDR", "5C 2E 5F53425F 4E564452")] // DualNamePrefix
    [InlineData("\\_SB.NVDR.NV00", "5C 2F 03 5F53425F 4E564452 4E563030")] // MultiNamePrefix, SegCount
    [InlineData("A.B.C", "2F 03 415F5F5F 425F5F5F 435F5F5F")]
    [InlineData("\\", "5C 00")] // \: the root itself, RootChar NullName
    public void Name_strings(string path, string hex) => Expect(hex, Path(path));

    [Fact]
    public void Arguments_and_locals()
    {
        Expect("68", Arg(0)); // Arg0
        Expect("6E", Arg(6)); // Arg6
        Expect("60", Local(0)); // Local0
        Expect("67", Local(7)); // Local7
    }

    /// <summary>
    /// PkgLength counts itself: up to 63 in one byte, 4095 in two, 2^20 - 1 in three, then four
    /// (the lead byte's bits 6-7 say how many follow, its low nibble is the length's).
    /// </summary>
    [Theory]
    [InlineData(0, "01")]
    [InlineData(62, "3F")] // 62 + 1 = 63: the most one byte holds
    [InlineData(63, "41 04")] // 63 + 2 = 65 = 0x041
    [InlineData(4093, "4F FF")] // 4093 + 2 = 4095 = 0xFFF: the most two bytes hold
    [InlineData(4094, "81 00 01")] // 4094 + 3 = 4097 = 0x1001
    [InlineData(0xffffc, "8F FF FF")] // 1 MiB - 4 + 3 = 0xFFFFF: the most three bytes hold
    [InlineData(0xffffd, "C1 00 00 01")] // 1 MiB - 3 + 4 = 0x100001
    [InlineData(AmlPackageLength.Max - 4, "CF FF FF FF")] // 28 bits
    public void Package_lengths_that_count_themselves(int bodyLength, string hex)
    {
        var bytes = new AmlWriter(AmlPackageLength.Size(bodyLength));
        AmlPackageLength.Write(bytes, bodyLength, includesItself: true);
        Assert.Equal(hex.Replace(" ", ""), Convert.ToHexString(bytes.ToArray()));
    }

    /// <summary>A field unit's length does not count itself, but is sized as if it did, as iASL and QEMU do.</summary>
    [Theory]
    [InlineData(62, "3E")]
    [InlineData(63, "4F 03")]
    [InlineData(32672, "80 FA 07")]
    public void Package_lengths_of_field_units(int bits, string hex)
    {
        var bytes = new AmlWriter(AmlPackageLength.Size(bits));
        AmlPackageLength.Write(bytes, bits, includesItself: false);
        Assert.Equal(hex.Replace(" ", ""), Convert.ToHexString(bytes.ToArray()));
    }

    /// <summary>Buffers whose whole length falls on each side of the PkgLength size boundaries.</summary>
    [Theory]
    [InlineData(60, "11 3F 0A3C")] // Buffer (0x3C) { 0x00, ... }: 2 + 60 + 1 = 63
    [InlineData(61, "11 4104 0A3D")] // Buffer (0x3D) { 0x00, ... }: 2 + 61 + 2 = 65
    [InlineData(4090, "11 4FFF 0BFA0F")] // Buffer (0x0FFA) { 0x00, ... }: 3 + 4090 + 2 = 4095
    [InlineData(4091, "11 810001 0BFB0F")] // Buffer (0x0FFB) { 0x00, ... }: 3 + 4091 + 3 = 4097
    [InlineData(0xffff7, "11 8FFFFF 0CF7FF0F00")] // Buffer (0x000FFFF7) { 0x00, ... }: 5 + 0xFFFF7 + 3 = 0xFFFFF
    [InlineData(0xffff8, "11 C1000001 0CF8FF0F00")] // Buffer (0x000FFFF8) { 0x00, ... }: 5 + 0xFFFF8 + 4 = 0x100001
    public void Package_lengths_at_the_boundaries(int size, string head)
    {
        byte[] aml = AmlBuffer.Zeroed(size).ToAml();
        head = head.Replace(" ", "");
        Assert.Equal(head, Convert.ToHexString(aml, 0, head.Length / 2));
        Assert.Equal(head.Length / 2 + size, aml.Length);
    }

    [Fact]
    public void Methods_and_their_flags()
    {
        // Method (_DSM, 4, NotSerialized) { Return (Zero) }
        Expect("14 08 5F44534D 04 A400", new AmlMethod("_DSM", 4, serialized: false, new AmlReturn(Int(0))));
        // Method (NCAL, 5, Serialized) { }
        Expect("14 06 4E43414C 0D", new AmlMethod("NCAL", 5, serialized: true));
        // Method (MTH7, 7, Serialized) { }
        Expect("14 06 4D544837 0F", new AmlMethod("MTH7", 7, serialized: true));
        // Method (MTH0, 0, NotSerialized) { }
        Expect("14 06 4D544830 00", new AmlMethod("MTH0", 0, serialized: false));
    }

    [Fact]
    public void Method_calls_and_return()
    {
        // NCAL (Arg0, One)
        Expect("4E43414C 68 01", new AmlMethodCall("NCAL", Arg(0), Int(1)));
        // Return (Local1)
        Expect("A4 61", new AmlReturn(Local(1)));
    }

    [Fact]
    public void Operation_regions_and_fields()
    {
        // OperationRegion (NPIO, SystemIO, 0x0A18, 0x04)
        Expect("5B80 4E50494F 01 0B180A 0A04", new AmlOperationRegion("NPIO", AmlRegionSpace.SystemIo, Int(0x0a18), 4));
        // OperationRegion (NRAM, SystemMemory, Local6, 0x1000)
        Expect("5B80 4E52414D 00 66 0B0010", new AmlOperationRegion("NRAM", AmlRegionSpace.SystemMemory, Local(6), 0x1000));
        // Field (NPIO, DWordAcc, NoLock, Preserve) { NTFI, 32 }
        Expect("5B81 0B 4E50494F 03 4E544649 20",
            new AmlField("NPIO", AmlAccessType.DWord, AmlLockRule.NoLock, AmlUpdateRule.Preserve, new AmlFieldUnit("NTFI", 32)));
        // Field (NRAM, DWordAcc, NoLock, Preserve) { RLEN, 32, ODAT, 32736 }
        Expect("5B81 12 4E52414D 03 524C454E 20 4F444154 80FE07",
            new AmlField("NRAM", AmlAccessType.DWord, AmlLockRule.NoLock, AmlUpdateRule.Preserve,
                new AmlFieldUnit("RLEN", 32), new AmlFieldUnit("ODAT", 32736)));
        // Field (NRAM, ByteAcc, Lock, WriteAsOnes) { }
        Expect("5B81 06 4E52414D 31", new AmlField("NRAM", AmlAccessType.Byte, AmlLockRule.Lock, AmlUpdateRule.WriteAsOnes));
        // Field (NRAM, AnyAcc, NoLock, WriteAsZeros) { FLD0, 8 }
        Expect("5B81 0B 4E52414D 40 464C4430 08",
            new AmlField("NRAM", AmlAccessType.Any, AmlLockRule.NoLock, AmlUpdateRule.WriteAsZeros, new AmlFieldUnit("FLD0", 8)));
    }

    [Fact]
    public void Operators_with_and_without_a_target()
    {
        // Store (Arg0, Local0)
        Expect("70 68 60", Store(Arg(0), Local(0)));
        // Add (Local1, Local2): no target is the NullName
        Expect("72 61 62 00", Add(Local(1), Local(2)));
        // Add (Local1, Local2, Local3)
        Expect("72 61 62 63", Add(Local(1), Local(2), Local(3)));
        // Concatenate (Local7, TBUF, Local7)
        Expect("73 67 54425546 67", Concatenate(Local(7), Path("TBUF"), Local(7)));
        // Subtract (Local1, 0x04, Local1)
        Expect("74 61 0A04 61", Subtract(Local(1), Int(4), Local(1)));
        // Increment (Local2)
        Expect("75 62", Increment(Local(2)));
        // ShiftLeft (Local1, 0x03)
        Expect("79 61 0A03 00", ShiftLeft(Local(1), Int(3)));
        // ShiftLeft (Local1, 0x03, Local1)
        Expect("79 61 0A03 61", ShiftLeft(Local(1), Int(3), Local(1)));
        // Index (Arg3, Zero)
        Expect("88 6B 00 00", Index(Arg(3), Int(0)));
        // Index (Arg3, Zero, Local0)
        Expect("88 6B 00 60", Index(Arg(3), Int(0), Local(0)));
        // ToBuffer (LDAT, LSA)
        Expect("96 4C444154 4C53415F", ToBuffer(Path("LDAT"), Path("LSA")));
    }

    [Fact]
    public void Operators_that_only_return_a_value()
    {
        // Store (DerefOf (Arg3), Local0)
        Expect("70 83 6B 60", Store(DerefOf(Arg(3)), Local(0)));
        // Store (SizeOf (Arg3), Local0)
        Expect("70 87 6B 60", Store(SizeOf(Arg(3)), Local(0)));
        // Store (ObjectType (Arg3), Local0)
        Expect("70 8E 6B 60", Store(ObjectType(Arg(3)), Local(0)));
        // Store (LAnd (Arg0, Zero), Local0)
        Expect("70 90 68 00 60", Store(LAnd(Arg(0), Int(0)), Local(0)));
        // Store (LOr (Arg0, Arg1), Local0)
        Expect("70 91 68 69 60", Store(LOr(Arg(0), Arg(1)), Local(0)));
        // Store (LNot (Arg0), Local0)
        Expect("70 92 68 60", Store(LNot(Arg(0)), Local(0)));
        // Store (LEqual (Arg4, Zero), Local0)
        Expect("70 93 6C 00 60", Store(LEqual(Arg(4), Int(0)), Local(0)));
        // Store (LLess (Local1, 0x08), Local0)
        Expect("70 95 61 0A08 60", Store(LLess(Local(1), Int(8)), Local(0)));
    }

    [Fact]
    public void Field_creation()
    {
        // CreateDWordField (Local0, Zero, STTS)
        Expect("8A 60 00 53545453", CreateDWordField(Local(0), Int(0), "STTS"));
        // CreateField (Local3, 0x20, ShiftLeft (LEN, 0x03), LDAT)
        Expect("5B13 63 0A20 79 4C454E5F 0A03 00 4C444154", CreateField(Local(3), Int(32), ShiftLeft(Path("LEN"), Int(3)), "LDAT"));
    }

    [Fact]
    public void If_else_and_while()
    {
        // If (LEqual (Arg0, One)) { Return (Zero) }
        Expect("A0 06 93 68 01 A4 00", new AmlIf(LEqual(Arg(0), Int(1)), new AmlReturn(Int(0))));
        // If (LEqual (Arg0, One)) { Return (Zero) } Else { Return (One) }
        Expect("A0 06 93 68 01 A4 00 A1 03 A4 01",
            new AmlIf(LEqual(Arg(0), Int(1)), new AmlReturn(Int(0))), new AmlElse(new AmlReturn(Int(1))));
        // While (LLess (Local2, Local1)) { Increment (Local2) }
        Expect("A2 06 95 62 61 75 62", new AmlWhile(LLess(Local(2), Local(1)), Increment(Local(2))));
    }

    [Fact]
    public void Scopes_devices_and_names()
    {
        // Name (_ADR, One)
        Expect("08 5F414452 01", new AmlNamedValue("_ADR", Int(1)));
        // Device (NVDR) { Name (_HID, "ACPI0012") }
        Expect("5B82 14 4E564452 08 5F484944 0D414350493030313200",
            new AmlDevice("NVDR", new AmlNamedValue("_HID", new AmlString("ACPI0012"))));
        // Scope (\_SB) { Device (NVDR) { } }
        Expect("10 0D 5C5F53425F 5B82 05 4E564452", new AmlScope("\\_SB", new AmlDevice("NVDR")));
    }

    [Fact]
    public void Containers_are_values_that_can_be_shared()
    {
        var method = new AmlMethod("MTH0", 0, serialized: false, new AmlReturn(Int(0)));
        // Device (DEV0) { Method (MTH0, 0, NotSerialized) { Return (Zero) } }, twice from one method object
        string device = "5B82 0E 44455630 14 08 4D544830 00 A400";
        Expect(device + device, new AmlDevice("DEV0", method), new AmlDevice("DEV0", method));
        Assert.Single(method.Terms);
    }

    [Fact]
    public void A_definition_block_writes_its_header_first()
    {
        // DefinitionBlock ("", "SSDT", 1, "BOCHS ", "NVDIMM", 1) { Name (MEMA, 0x00000000) }
        var table = new AmlDefinitionBlock("SSDT", 1, "NVDIMM", new AmlNamedValue("MEMA", new AmlDWord(0)));
        byte[] bytes = table.ToAml();
        Assert.Equal(AcpiTableHeader.Size + 10, table.EncodedLength);
        // Signature, Length (0x2E), Revision, Checksum (left to the loader), OEMID, OEM Table ID
        Assert.Equal("53534454 2E000000 01 00 424F43485320 4E5644494D4D0000".Replace(" ", ""), Convert.ToHexString(bytes, 0, 24));
        Assert.Equal("08 4D454D41 0C 00000000".Replace(" ", ""), Convert.ToHexString(bytes, AcpiTableHeader.Size, 10));
    }

    [Fact]
    public void The_checksum_sums_a_table_as_it_is_written()
    {
        var table = new AmlDefinitionBlock("SSDT", 1, "NVDIMM", new AmlScope("\\_SB", new AmlDevice("NVDR")));
        var checksum = new AcpiChecksum();
        table.WriteTo(checksum);
        byte[] bytes = table.ToAml();
        Assert.Equal(AcpiChecksum.Compute(bytes), checksum.Value);
        bytes[AcpiTableHeader.ChecksumOffset] = checksum.Value;
        Assert.Equal(0, bytes.Aggregate(0, (sum, b) => sum + b) & 0xff);
    }
}
