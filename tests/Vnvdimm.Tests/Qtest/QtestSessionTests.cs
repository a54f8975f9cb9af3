using Vnvdimm.Options;
using Vnvdimm.Qtest;
using Vnvdimm.Vmm;

namespace Vnvdimm.Tests.Qtest;

public sealed class QtestSessionTests : IDisposable
{
    private readonly Machine _machine = MachineBuilder.Build(CommandLineParser.Parse(["-m", "64M"]).Configuration, new TestLogger());
    private readonly QtestSession _session;

    public QtestSessionTests() => _session = new QtestSession(_machine);

    public void Dispose() => _machine.Dispose();

    [Theory]
    [InlineData("writeq 0x1000 0x1122334455667788", "OK")]
    [InlineData("readq 0x1000", "OK 0x1122334455667788")]
    [InlineData("readl 0x1004", "OK 0x0000000011223344")]
    [InlineData("readb 0x1000", "OK 0x0000000000000088")]
    [InlineData("read 0x1000 3", "OK 0x887766")]
    [InlineData("b64read 0x1000 2", "OK iHc=")]
    [InlineData("inb 0x1234", "OK 0x00ff")]
    [InlineData("inl 0x1234", "OK 0xffffffff")]
    [InlineData("inb 0x511", "OK 0x0051")]
    [InlineData("inl 0x514", "OK 0x554d4551")]
    [InlineData("endianness", "OK little")]
    [InlineData("frobnicate 1", "FAIL Unknown command 'frobnicate'")]
    [InlineData("irq_intercept_out ioapic", "OK")]
    [InlineData("irq_intercept_in nowhere", "FAIL Unknown device")]
    [InlineData("clock_step 10", "OK 10")]
    [InlineData("outl 0X80 010", "OK")]
    [InlineData("a_command_name_longer_than_any_of_qemus x", "FAIL Unknown command 'a_command_name_longer_than_any_of_qemus'")]
    [InlineData("readq 0x1g", "ERR invalid number '0x1g'")]
    public void Answers_like_qemu(string command, string answer)
    {
        _session.Execute("writeq 0x1000 0x1122334455667788");
        Assert.Equal(answer, _session.Execute(command));
    }

    [Fact]
    public void Writes_fill_missing_digits_with_zeros_and_memset_fills()
    {
        Assert.Equal("OK", _session.Execute("write 0x2000 4 0xaabb"));
        Assert.Equal("OK 0xaabb0000", _session.Execute("read 0x2000 4"));
        Assert.Equal("OK", _session.Execute("memset 0x2000 3 0x5"));
        Assert.Equal("OK 0x05050500", _session.Execute("read 0x2000 4"));
        Assert.Equal("OK", _session.Execute("b64write 0x2000 2 //8="));
        Assert.Equal("OK 0xffff0500", _session.Execute("read 0x2000 4"));
    }

    [Theory]
    [InlineData("outb 0x510")]
    [InlineData("read 0x0 0")]
    [InlineData("read 0x0 0x100000000")]
    [InlineData("readq zebra")]
    [InlineData("outw 0x10000 1")]
    [InlineData("write 0x0 2 0x")]
    [InlineData("write 0x0 2 0xzz")]
    [InlineData("b64write 0x0 2 !!!")]
    [InlineData("")]
    public void Malformed_lines_get_err_and_the_session_goes_on(string line)
    {
        Assert.StartsWith("ERR ", _session.Execute(line));
        Assert.Equal("OK 0x0000000000000000", _session.Execute("readq 0x3000"));
    }

    [Fact]
    public void Numbers_follow_strtoull_base_zero()
    {
        Assert.Equal(0x10UL, QtestSession.Number("0x10"u8));
        Assert.Equal(8UL, QtestSession.Number("010"u8));
        Assert.Equal(10UL, QtestSession.Number("10"u8));
        Assert.Throws<QtestArgumentException>(() => QtestSession.Number("09"u8));
    }
}
