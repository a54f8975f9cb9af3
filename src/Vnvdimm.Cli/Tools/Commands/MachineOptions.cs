using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Vnvdimm.Cli.Tools.Targets;
using Vnvdimm.Guest.Transport;

namespace Vnvdimm.Cli.Tools.Commands;

/// <summary>What every guest command takes to say which machine it talks to: a running one (--qtest) or one it starts.</summary>
internal sealed class MachineOptions
{
    private readonly Option<string?> _qtest = new("--qtest")
    {
        Description = "the qtest socket of a running machine: unix:PATH (or just PATH) or tcp:HOST:PORT, as its -qtest says",
    };

    private readonly Option<bool> _qemu = new("--qemu") { Description = "start qemu-system-x86_64 with the options after \"--\" instead of vnvdimm" };

    private readonly Option<double> _timeout = new("--timeout")
    {
        Description = "seconds a running machine (--qtest) may take to answer one command",
        DefaultValueFactory = _ => 30,
        CustomParser = PositiveSeconds,
    };

    private readonly Argument<string[]> _machineArgs = new("machine-options")
    {
        Arity = ArgumentArity.ZeroOrMore,
        Description = "after \"--\": the machine's options, to start it",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_qtest);
        command.Options.Add(_qemu);
        command.Options.Add(_timeout);
        command.Arguments.Add(_machineArgs);
    }

    public QtestClient Connect(ParseResult result) =>
        GuestTarget.Open(result.GetValue(_qtest), result.GetValue(_qemu), result.GetValue(_machineArgs) ?? [],
            TimeSpan.FromSeconds(result.GetValue(_timeout)));

    private static double PositiveSeconds(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0 && double.IsFinite(seconds))
            return seconds;
        result.AddError($"--timeout {text}: give a number of seconds above 0");
        return 0;
    }
}
