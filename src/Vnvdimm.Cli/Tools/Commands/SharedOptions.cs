using System.CommandLine;

namespace Vnvdimm.Cli.Tools.Commands;

/// <summary>Options that several commands take, made afresh for each command that takes one.</summary>
internal static class SharedOptions
{
    public static Option<bool> Json() => new("--json") { Description = "print JSON for programs" };

    /// <summary>The namespace destroy-namespace removes.</summary>
    public static Option<Guid> NamespaceUuid() => new("--uuid")
    {
        Description = "the namespace's uuid",
        Required = true,
        CustomParser = r => OptionParsers.Uuid(r) ?? Guid.Empty,
    };
}
