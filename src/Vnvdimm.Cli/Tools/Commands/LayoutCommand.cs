using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Vnvdimm.Cli.Layout;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;

namespace Vnvdimm.Cli.Tools.Commands;

/// <summary>
/// <c>vnvdimm layout -- OPTIONS</c>: where a command line puts each NVDIMM and its label area. Exit status 1 on a
/// warning, 2 when the options would not start a machine.
/// </summary>
internal static class LayoutCommand
{
    public static Command Create()
    {
        var options = new Argument<string[]>("qemu-options")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = "after \"--\": a vnvdimm or QEMU command line (with or without the program)",
        };
        var json = SharedOptions.Json();
        var command = new Command("layout", "where each NVDIMM goes and where its label area sits in its file, " +
            "with warnings that prevent data loss; exit status 1 on a warning, 2 when the options would not start; " +
            "reads files, changes nothing") { options, json };
        command.SetAction(r =>
        {
            LayoutReport report;
            try
            {
                var args = r.GetValue(options) ?? [];
                if (args.Length == 0)
                    throw new ConfigurationException("give the machine's command line after \"--\" (vnvdimm's or QEMU's options)");
                report = LayoutPlanner.Plan(args);
            }
            catch (ConfigurationException e)
            {
                ConsoleDiagnostics.Error(e.ToString());
                return 2;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ConsoleDiagnostics.Error(HostErrors.Describe(e));
                return 2;
            }
            if (r.GetValue(json))
                Console.Out.WriteLine(JsonSerializer.Serialize(report, LayoutJsonContext.Default.LayoutReport));
            else
                LayoutPrinter.Print(report, AnsiConsole.Console);
            return report.HasWarnings ? 1 : 0;
        });
        return command;
    }
}
