using System.CommandLine;
using Vnvdimm.Guest.Labels;

namespace Vnvdimm.Cli.Tools.Commands;

/// <summary>--size, --name and --uuid: the namespace create-namespace makes, in a guest and offline alike.</summary>
internal sealed class NamespaceRequestOptions
{
    private readonly Option<string?> _size = new("--size", "-s")
    {
        Description = "namespace size (K M G suffixes), a multiple of the region alignment (default: the largest free extent)",
    };

    private readonly Option<string> _name = new("--name") { Description = "namespace name", DefaultValueFactory = _ => "" };

    private readonly Option<Guid?> _uuid = new("--uuid") { Description = "namespace uuid (default: a new one)", CustomParser = OptionParsers.Uuid };

    public Option[] All => [_size, _name, _uuid];

    public NamespaceRequest Read(ParseResult result) =>
        new(result.GetValue(_size) is string size ? NonZero(OptionParsers.Size(size)) : 0, result.GetValue(_name)!,
            result.GetValue(_uuid) ?? Guid.NewGuid());

    /// <summary>Zero stands for "the largest free extent" inside: a zero the user wrote is refused as before.</summary>
    private static ulong NonZero(ulong size) =>
        size != 0 ? size : throw new ToolException("--size 0: a namespace needs a size (leave --size out for the largest free extent)");
}
