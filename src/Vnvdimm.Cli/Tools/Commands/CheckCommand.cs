using System.CommandLine;
using Vnvdimm.Cli.Tools.Rendering;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;

namespace Vnvdimm.Cli.Tools.Commands;

/// <summary><c>vnvdimm check ...</c>: is guest write persistence guaranteed for these backends? Exit status 2 when not.</summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var backends = new Argument<string[]>("backend")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "memory-backend-file,id=...,mem-path=...,share=on,pmem=on (as -object takes it; -object itself may precede it)",
        };
        var json = SharedOptions.Json();
        var command = new Command("check", "is guest write persistence guaranteed for these backends, and if not, why") { backends, json };
        command.SetAction(r =>
        {
            var verdicts = r.GetValue(backends)!.Where(a => a != "-object")
                .Select(a => PersistenceCheck.Evaluate(CommandLineParser.ParseBackend(OptionGroup.Parse("object", a, "qom-type")))).ToList();
            PersistenceVerdictPrinter.Write(verdicts, r.GetValue(json));
            return verdicts.All(v => v.Guaranteed) ? 0 : 2;
        });
        return command;
    }
}
