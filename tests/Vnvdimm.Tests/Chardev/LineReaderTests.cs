using System.Text;
using Vnvdimm.Chardev;

namespace Vnvdimm.Tests.Chardev;

public sealed class LineReaderTests
{
    private static LineReader Reader(string text, int max = 16) => new(new MemoryStream(Encoding.ASCII.GetBytes(text)), max);

    private static string? Next(LineReader reader, Func<ReadOnlySpan<byte>, long>? limitOf = null) =>
        reader.Read(out var line, limitOf) switch
        {
            LineStatus.Line => Encoding.ASCII.GetString(line),
            LineStatus.TooLong => "<too long>",
            _ => null,
        };

    [Fact]
    public void Lines_end_at_lf_or_crlf_and_a_last_line_without_newline_counts()
    {
        var reader = Reader("a\r\nbb\n\nlast");
        Assert.Equal("a", Next(reader));
        Assert.True(reader.HasBufferedLine);
        Assert.Equal("bb", Next(reader));
        Assert.Equal("", Next(reader));
        Assert.Equal("last", Next(reader));
        Assert.Null(Next(reader));
    }

    [Fact]
    public void A_line_over_the_limit_is_dropped_and_the_next_line_is_read_whole()
    {
        var reader = Reader(new string('x', 100) + "\nok\n" + new string('y', 17));
        Assert.Equal("<too long>", Next(reader));
        Assert.Equal("ok", Next(reader));
        Assert.Equal("<too long>", Next(reader));
        Assert.Null(Next(reader));
    }

    [Fact]
    public void A_line_may_name_a_tighter_limit_once_its_start_has_arrived()
    {
        // The first byte announces the length the rest may have.
        long Announced(ReadOnlySpan<byte> start) => start.Length > 0 ? start[0] - '0' + 1 : 16;
        var reader = Reader("3abc\n3abcdefgh\n9abcdefgh\n");
        Assert.Equal("3abc", Next(reader, Announced));
        Assert.Equal("<too long>", Next(reader, Announced));
        Assert.Equal("9abcdefgh", Next(reader, Announced));
    }

    [Fact]
    public void Lines_split_across_reads_and_larger_than_the_initial_buffer_are_whole()
    {
        string big = new('z', 200_000);
        var reader = new LineReader(new TrickleStream(Encoding.ASCII.GetBytes($"{big}\nafter\n"), 7_777), 300_000);
        Assert.Equal(big, Next(reader));
        Assert.Equal("after", Next(reader));
    }

    /// <summary>Returns at most <paramref name="chunk"/> bytes a read, as a socket does.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));
    }
}
