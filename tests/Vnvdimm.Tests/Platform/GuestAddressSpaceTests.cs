using Vnvdimm.HostMemory;
using Vnvdimm.Platform;

namespace Vnvdimm.Tests.Platform;

public sealed class GuestAddressSpaceTests
{
    private static HostMapping Anonymous(ulong size) =>
        HostMapping.Map(-1, size, 4096, Libc.ProtRead | Libc.ProtWrite, Libc.MapPrivate | Libc.MapAnonymous | Libc.MapNoReserve);

    [Fact]
    public void Accesses_span_regions_and_holes_read_as_zero()
    {
        using var a = Anonymous(8192);
        using var b = Anonymous(8192);
        var space = new GuestAddressSpace();
        space.Map(new GuestRange(0x1000, 0x1000), a, 0x1000, "a");
        space.Map(new GuestRange(0x3000, 0x2000), b, 0, "b");

        space.Fill(0x0, 0x6000, 0x11); // writes to holes vanish
        var all = new byte[0x6000];
        space.Read(0, all);
        Assert.All(all[..0x1000], x => Assert.Equal(0, x));
        Assert.All(all[0x1000..0x2000], x => Assert.Equal(0x11, x));
        Assert.All(all[0x2000..0x3000], x => Assert.Equal(0, x));
        Assert.All(all[0x3000..0x5000], x => Assert.Equal(0x11, x));
        Assert.Equal(0x11, a.Span(0x1000, 1)[0]);
        Assert.Equal(0, a.Span(0, 1)[0]);
    }

    [Fact]
    public void Reads_at_the_top_of_the_address_space_do_not_wrap()
    {
        using var a = Anonymous(4096);
        var space = new GuestAddressSpace();
        space.Map(new GuestRange(0, 0x1000), a, 0, "low");
        a.Span(0, 1)[0] = 0x5a;
        var buffer = new byte[16];
        space.Read(ulong.MaxValue - 7, buffer);
        Assert.All(buffer, x => Assert.Equal(0, x));
    }

    [Fact]
    public void Overlapping_regions_are_refused()
    {
        using var a = Anonymous(8192);
        var space = new GuestAddressSpace();
        space.Map(new GuestRange(0x1000, 0x1000), a, 0, "a");
        Assert.Equal("b overlaps a", Assert.Throws<InvalidOperationException>(() => space.Map(new GuestRange(0x1800, 0x1000), a, 0, "b")).Message);
    }
}
