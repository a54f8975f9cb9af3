using System.CommandLine;
using Vnvdimm.Guest.Labels;

namespace Vnvdimm.Cli.Tools.Commands;

/// <summary>--size, --name and --uuid: the namespace create-namespace makes, in a guest and offline alike.</summary>
internal sealed class NamespaceRequestOptions
{
    private readonly Option<string> _size = new("--size")
    {
        Description = "namespace size (K M G suffixes), a multiple of the region alignment",
        Required = true,
    };

    private readonly Option<string> _name = new("--name") { Description = "namespace name", DefaultValueFactory = _ => "" };

    private readonly Option<Guid?> _uuid = new("--uuid") { Description = "namespace uuid (default: a new one)", CustomParser = OptionParsers.Uuid };

    public Option[] All => [_size, _name, _uuid];

    public NamespaceRequest Read(ParseResult result) =>
        new(OptionParsers.Size(result.GetValue(_size)!), result.GetValue(_name)!, result.GetValue(_uuid) ?? Guid.NewGuid());
}
