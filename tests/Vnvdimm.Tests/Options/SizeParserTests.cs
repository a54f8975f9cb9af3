using Vnvdimm.Options;

namespace Vnvdimm.Tests.Options;

public sealed class SizeParserTests
{
    [Theory]
    [InlineData("4096", 1UL, 4096UL)]
    [InlineData("1G", 1UL, 1UL << 30)]
    [InlineData("1g", 1UL, 1UL << 30)]
    [InlineData("128K", 1UL, 128UL << 10)]
    [InlineData("1.5G", 1UL, 3UL << 29)]
    [InlineData("2T", 1UL, 2UL << 40)]
    [InlineData("1E", 1UL, 1UL << 60)]
    [InlineData("0x20000", 1UL, 0x20000UL)]
    [InlineData("512", 1UL << 20, 512UL << 20)]
    [InlineData("10B", 1UL << 20, 10UL)]
    [InlineData(" 1G", 1UL, 1UL << 30)]
    [InlineData("+2M", 1UL, 2UL << 20)]
    [InlineData("0x10G", 1UL, 16UL << 30)]
    public void Parses_qemu_sizes(string text, ulong unit, ulong expected)
    {
        Assert.True(SizeParser.TryParse(text, unit, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("1X")]
    [InlineData("G")]
    [InlineData("1.5")]
    [InlineData("1GG")]
    [InlineData("16E")]
    [InlineData(".5G")]
    [InlineData("0x")]
    public void Rejects_what_qemu_rejects(string text) => Assert.False(SizeParser.TryParse(text, 1, out _));
}
