namespace Vnvdimm.Options;

/// <summary>
/// A configuration error a user must fix. <see cref="Location"/> is the command-line option
/// it came from (QEMU prefixes its messages the same way), or null for machine-wide errors.
/// </summary>
public sealed class ConfigurationException(string message, string? location = null) : UserError(message)
{
    public string? Location { get; } = location;

    /// <summary>The error names something that does not exist (QMP reports these as DeviceNotFound).</summary>
    public bool IsNotFound { get; private init; }

    public static ConfigurationException NotFound(string message, string? location = null) => new(message, location) { IsNotFound = true };

    /// <summary>A second line the command line prints under the error (QEMU's error_append_hint); monitors leave it out, as QEMU's do.</summary>
    public string? Hint { get; init; }

    public ConfigurationException At(string location) =>
        Location is null ? new ConfigurationException(Message, location) { IsNotFound = IsNotFound, Hint = Hint } : this;

    public override string ToString() => (Location is null ? Message : $"{Location}: {Message}") + (Hint is null ? "" : $"\n{Hint}");
}
