using System.Collections.Immutable;
using Vnvdimm.Acpi.Aml;
using static Vnvdimm.Acpi.Aml.Aml;

namespace Vnvdimm.Tests.Acpi.Aml;

/// <summary>What AML cannot hold is refused when the object is made, instead of being cut or replaced in the encoding.</summary>
public sealed class AmlValidationTests
{
    [Fact]
    public void A_package_holds_at_most_255_elements()
    {
        var elements = Enumerable.Repeat(Int(0), 256).ToImmutableArray();
        var error = Assert.Throws<ArgumentException>(() => new AmlPackage(elements));
        Assert.Contains("at most 255", error.Message);
        // Package (0xFF) { Zero, ... }: the count byte is 0xFF.
        Assert.Equal(0xff, new AmlPackage(elements[..255]).ToAml()[3]);
    }

    [Theory]
    [InlineData("caf\u00e9")] // Latin-1, not ASCII
    [InlineData("\u2603")]
    [InlineData("A\0B")] // a NUL would end the string early
    [InlineData("\0")]
    public void Strings_refuse_what_is_not_ascii_or_is_nul(string value) =>
        Assert.Throws<ArgumentException>(() => new AmlString(value));

    [Fact]
    public void Strings_take_every_ascii_character_but_nul()
    {
        string all = new([.. Enumerable.Range(1, 0x7f).Select(c => (char)c)]);
        Assert.Equal(1 + 0x7f + 1, new AmlString(all).ToAml().Length);
    }

    [Theory]
    [InlineData("TOOLONG")]
    [InlineData("1ABC")] // a digit cannot lead
    [InlineData("abcd")] // AML names are upper case
    [InlineData("AB-C")]
    [InlineData("A B")]
    [InlineData("A..B")] // an empty segment
    [InlineData("A.")]
    [InlineData(".A")]
    [InlineData("\\^FOO")] // the root stands alone
    [InlineData("\\\\FOO")]
    [InlineData("^\\FOO")]
    [InlineData("")]
    public void Paths_refuse_what_is_not_a_name_string(string path) => Assert.Throws<ArgumentException>(() => new AmlPath(path));

    [Theory]
    [InlineData("_SB")]
    [InlineData("A1_9")]
    [InlineData("\\")]
    [InlineData("^^_SB.NVDR")]
    [InlineData("\\_SB.NVDR.NV00._LSI")]
    public void Paths_take_name_strings(string path) => Assert.Equal(path, new AmlPath(path).Value);

    [Fact]
    public void A_path_holds_at_most_255_segments()
    {
        Assert.Throws<ArgumentException>(() => new AmlPath(string.Join('.', Enumerable.Repeat("A", 256))));
        Assert.Equal(2 + 255 * 4, new AmlPath(string.Join('.', Enumerable.Repeat("A", 255))).EncodedLength);
    }

    [Theory]
    [InlineData("AB.C")]
    [InlineData("\\ABC")]
    [InlineData("ab")]
    public void Field_units_are_named_by_one_segment(string name) =>
        Assert.Throws<ArgumentException>(() => new AmlFieldUnit(name, 8));

    [Fact]
    public void Field_units_refuse_sizes_a_package_length_cannot_hold()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AmlFieldUnit("BIG", AmlPackageLength.Max));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AmlFieldUnit("NEG", -1));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(8)]
    public void Methods_take_0_to_7_arguments(int count) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new AmlMethod("MTHD", count, serialized: false));

    [Fact]
    public void Method_calls_pass_at_most_7_arguments()
    {
        Assert.Equal(7, new AmlMethod("MTHD", 7, serialized: false).ToAml()[6] & 0x7);
        Assert.Throws<ArgumentException>(() => new AmlMethodCall("MTHD", [.. Enumerable.Repeat(Int(0), 8)]));
    }

    [Fact]
    public void Arguments_and_locals_exist_only_as_arg0_to_arg6_and_local0_to_local7()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Arg(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => Local(8));
        Assert.Throws<ArgumentOutOfRangeException>(() => Arg(-1));
    }

    [Fact]
    public void A_package_length_holds_28_bits()
    {
        Assert.Equal(4, AmlPackageLength.Size(AmlPackageLength.Max - 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => AmlPackageLength.Size(AmlPackageLength.Max - 3));
    }

    /// <summary>The writer is sized from EncodedLength: a term that writes more or less than it announced is caught.</summary>
    [Theory]
    [InlineData(1, 2)]
    [InlineData(3, 2)]
    public void A_wrong_encoded_length_is_caught(int announced, int written) =>
        Assert.Throws<InvalidOperationException>(() => new MisMeasured(announced, written).ToAml());

    private sealed class MisMeasured(int announced, int written) : IAml
    {
        public int EncodedLength => announced;

        public void WriteTo(IAmlSink sink) => sink.Bytes(new byte[written]);
    }
}
