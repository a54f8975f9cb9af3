using Vnvdimm.Options;

namespace Vnvdimm.Tests.Options;

public sealed class OptionGroupTests
{
    [Fact]
    public void First_item_without_equals_is_the_implied_key()
    {
        var g = OptionGroup.Parse("device", "nvdimm,id=n0,memdev=m0", "driver");
        Assert.Equal("nvdimm", g.String("driver"));
        Assert.Equal("n0", g.String("id"));
        Assert.Equal("m0", g.String("memdev"));
    }

    [Fact]
    public void Double_comma_is_a_literal_comma()
    {
        var g = OptionGroup.Parse("object", "memory-backend-file,mem-path=/tmp/a,,b.img,id=m", "qom-type");
        Assert.Equal("/tmp/a,b.img", g.String("mem-path"));
        Assert.Equal("m", g.String("id"));
    }

    [Fact]
    public void Last_occurrence_wins()
    {
        var g = OptionGroup.Parse("machine", "pc,nvdimm=off,nvdimm=on", "type");
        Assert.True(g.Bool("nvdimm"));
    }

    [Theory]
    [InlineData("on", true)]
    [InlineData("yes", true)]
    [InlineData("true", true)]
    [InlineData("off", false)]
    [InlineData("no", false)]
    [InlineData("false", false)]
    public void Booleans_take_qemu_spellings(string text, bool expected) =>
        Assert.Equal(expected, OptionGroup.Parse("x", $"b={text}", null).Bool("b"));

    [Fact]
    public void Bad_boolean_names_the_parameter()
    {
        var e = Assert.Throws<ConfigurationException>(() => OptionGroup.Parse("device", "nvdimm,unarmed=maybe", "driver").Bool("unarmed"));
        Assert.Equal("Parameter 'unarmed' expects 'on' or 'off'", e.Message);
        Assert.Equal("-device nvdimm,unarmed=maybe", e.Location);
    }

    [Fact]
    public void Unknown_keys_are_refused_after_the_known_ones_are_taken()
    {
        var g = OptionGroup.Parse("object", "memory-backend-ram,id=r,size=1G,colour=blue", "qom-type");
        g.String("qom-type");
        g.String("id");
        g.Size("size");
        var e = Assert.Throws<ConfigurationException>(() => g.RejectUnknown());
        Assert.Equal("Invalid parameter 'colour'", e.Message);
    }

    [Fact]
    public void Bare_key_means_on_and_a_no_prefix_off_as_in_qemuopts()
    {
        var g = OptionGroup.Parse("qtest", "unix:/tmp/s,server,nowait", "backend");
        Assert.True(g.Bool("server"));
        Assert.False(g.Bool("wait"));
        Assert.False(g.Has("nowait"));
    }

    [Fact]
    public void Machine_options_are_keyval_and_need_their_equals_sign()
    {
        var e = Assert.Throws<ConfigurationException>(() => OptionGroup.Parse("machine", "pc,nvdimm", "type"));
        Assert.Equal("-machine pc,nvdimm: Expected '=' after parameter 'nvdimm'", e.ToString());
    }

    [Fact]
    public void The_id_is_the_first_given_other_keys_the_last()
    {
        var g = OptionGroup.Parse("device", "nvdimm,id=a,memdev=m0,id=b,memdev=m1", "driver");
        Assert.Equal(("a", "m1"), (g.String("id"), g.String("memdev")));
    }
}
