using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;
using Vnvdimm.Cli.Machine;
using Vnvdimm.Options;
using Vnvdimm.Testing;
using Vnvdimm.Vmm;

namespace Vnvdimm.Cli.Tests;

/// <summary>The default machine's view of its NVDIMMs, on a terminal of any width.</summary>
public sealed class GuestViewPrinterTests
{
    [Theory]
    [InlineData(80)]
    [InlineData(200)]
    public void The_view_fits_the_terminal_and_breaks_no_value(int width)
    {
        using var dir = new TempFolder();
        var config = CommandLineParser.Parse(DefaultMachine.Arguments(dir.Path)).Configuration;
        using var machine = MachineBuilder.Build(config, NullLogger.Instance);
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors,
        });
        console.Profile.Width = width;

        GuestViewPrinter.Print(new InProcessGuest(machine), console);

        string[] lines = output.ToString().Split('\n');
        Assert.All(lines, line => Assert.True(line.TrimEnd().Length <= width, $"{line.TrimEnd().Length} columns: {line}"));
        string text = output.ToString();
        foreach (string value in new[] { "nmem0", "0x100000000", "1023.875 MiB", "128 KiB", "cpu_cache" })
            Assert.Contains(value, text);
        Assert.Matches("0x[0-9a-f]{16}", text); // the interleave-set cookie, whole
    }
}
