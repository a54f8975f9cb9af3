using System.Text;
using Vnvdimm.Monitor.Qmp;

namespace Vnvdimm.Tests.Monitor;

public sealed class QmpFramerTests
{
    private static List<QmpFrame> Feed(QmpFramer framer, string text) => framer.Feed(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void A_value_may_span_reads_and_lines_and_several_may_share_one()
    {
        var framer = new QmpFramer();
        Assert.Empty(Feed(framer, "{\"execute\":\n"));
        var frames = Feed(framer, "\"a\"} {\"execute\": \"b\"}[1,{\"c\":\"}\"}]");
        Assert.Equal(["{\"execute\":\n\"a\"}", "{\"execute\": \"b\"}", "[1,{\"c\":\"}\"}]"], frames.Select(f => f.Json));
    }

    [Fact]
    public void Single_quoted_strings_become_double_quoted()
    {
        var frame = Assert.Single(Feed(new QmpFramer(), "{'execute':'say \"hi\" it\\'s'}"));
        Assert.Equal("{\"execute\":\"say \\\"hi\\\" it's\"}", frame.Json);
    }

    [Fact]
    public void Top_level_scalars_and_stray_characters_are_reported_one_by_one()
    {
        var framer = new QmpFramer();
        var frames = Feed(framer, "garbage 42 } @{\"x\":1}\n");
        Assert.Equal("garbage", frames[0].Json);
        Assert.Equal("42", frames[1].Json);
        Assert.Equal("JSON parse error, expecting value", frames[2].Error);
        Assert.Equal("JSON parse error, stray '@'", frames[3].Error);
        Assert.Equal("{\"x\":1}", frames[4].Json);
    }

    [Fact]
    public void An_oversized_value_is_reported_once_skipped_and_the_stream_goes_on()
    {
        var framer = new QmpFramer(maxValueBytes: 64);
        var frames = Feed(framer, "{\"a\":\"" + new string('x', 1000) + "}\"}{\"ok\":1}");
        Assert.Equal(2, frames.Count);
        Assert.Equal("JSON token size limit exceeded", frames[0].Error);
        Assert.Equal("{\"ok\":1}", frames[1].Json);
    }

    [Fact]
    public void Nesting_beyond_the_limit_is_reported_and_skipped()
    {
        var framer = new QmpFramer(maxNesting: 8);
        var frames = Feed(framer, new string('[', 20) + new string(']', 20) + "{}");
        Assert.Equal("JSON nesting depth limit exceeded", frames[0].Error);
        Assert.Equal("{}", frames[1].Json);
    }
}
