using System.CommandLine;
using Vnvdimm.Guest.Labels;

namespace Vnvdimm.Cli.Tools.Commands;

/// <summary>--version and --force of the commands that initialise a label area, in a guest and offline.</summary>
internal sealed class LabelFormatOptions
{
    private readonly Option<string> _version = new("--version")
    {
        Description = "label format: 1.2 (256-byte labels, default) or 1.1",
        DefaultValueFactory = _ => "1.2",
    };

    private readonly Option<bool> _force = new("--force") { Description = "initialise even though labels exist (they are dropped)" };

    public Option[] All => [_version, _force];

    public LabelVersion Version(ParseResult result) => OptionParsers.LabelFormat(result.GetValue(_version)!);

    public bool Force(ParseResult result) => result.GetValue(_force);
}
