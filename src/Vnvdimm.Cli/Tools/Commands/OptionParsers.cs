using System.CommandLine.Parsing;
using Vnvdimm.Guest.Labels;
using Vnvdimm.Options;

namespace Vnvdimm.Cli.Tools.Commands;

/// <summary>Option values read as the tools' users write them, refused in plain words.</summary>
internal static class OptionParsers
{
    /// <summary>A UUID as ndctl and QEMU write it; anything else is refused in those words, not as a .NET type name.</summary>
    public static Guid? Uuid(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (Guid.TryParseExact(text, "D", out var uuid))
            return uuid;
        result.AddError($"'{text}' is not a UUID (expected the form 01234567-89ab-cdef-0123-456789abcdef)");
        return null;
    }

    /// <summary>A size as QEMU's options take it (K M G ... suffixes).</summary>
    public static ulong Size(string text) =>
        SizeParser.TryParse(text, 1, out ulong value) ? value : throw new ToolException($"'{text}' is not a size");

    /// <summary>A label format as --version names it.</summary>
    public static LabelVersion LabelFormat(string text) => text switch
    {
        "1.1" => LabelVersion.V1_1,
        "1.2" => LabelVersion.V1_2,
        _ => throw new ToolException($"--version {text}: use 1.1 or 1.2"),
    };
}
