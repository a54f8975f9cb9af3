using Vnvdimm.Options;
using Vnvdimm.Platform;

namespace Vnvdimm.Tests.Platform;

public sealed class GpeBlockTests
{
    [Theory]
    [InlineData(ChipsetKind.Pc, 0xafe0, 4)]
    [InlineData(ChipsetKind.Q35, 0x620, 16)]
    public void Status_bits_stay_until_the_guest_writes_one_to_clear_them(ChipsetKind chipset, int port, int length)
    {
        Assert.Equal(((ushort)port, (ushort)length), GpeBlock.Location(chipset));
        var gpe = new GpeBlock(length);
        gpe.Raise(4);
        gpe.Raise(1);
        Assert.Equal(0x12u, gpe.Read(0, 1));
        gpe.Write(0, 1, 0x02); // clears bit 1 only
        Assert.Equal(0x10u, gpe.Read(0, 1));
        gpe.Write(0, 1, 0x00);
        Assert.True(gpe.IsRaised(4));
        gpe.Write(0, 1, 0x10);
        Assert.False(gpe.IsRaised(4));
    }

    [Fact]
    public void Enable_bytes_follow_the_status_bytes_and_are_plain_registers()
    {
        var gpe = new GpeBlock(4);
        gpe.Write(2, 2, 0x0010);
        Assert.Equal(0x0010u, gpe.Read(2, 2));
        gpe.Raise(4);
        Assert.Equal(0x0010_0010u, gpe.Read(0, 4));
        Assert.Equal(0x0010u, gpe.Read(2, 2)); // raising touches status only
    }
}
