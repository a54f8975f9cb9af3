namespace Vnvdimm.Cli.Tools;

/// <summary>A tool failed in a way the user can fix: printed as "vnvdimm: message", exit status 1.</summary>
public sealed class ToolException(string message) : Exception(message);
