using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Vnvdimm.Cli.Tools.Commands;
using Vnvdimm.HostMemory;
using Vnvdimm.Options;

namespace Vnvdimm.Cli.Tools;

/// <summary>
/// The tools: <c>guest</c> (the guest toolkit against a running machine), <c>label</c> (the same
/// label code on a backing file, offline), <c>check</c> (is guest write persistence guaranteed?) and
/// <c>layout</c> (where a command line puts each NVDIMM, and what it would hide or cut off).
/// </summary>
public static class ToolCommands
{
    public static readonly string[] Names = ["guest", "label", "check", "layout"];

    /// <summary>Runs a tool; a user error is one line, "vnvdimm: message", and exit status 1.</summary>
    public static int Run(string[] args)
    {
        // Named "vnvdimm", as the launcher is, whatever the native program is called.
        var root = new Command("vnvdimm", "vnvdimm tools")
        {
            GuestCommands.Create(), LabelCommands.Create(), CheckCommand.Create(), LayoutCommand.Create(), new HelpOption(),
        };
        try
        {
            // Our own handler below prints user errors as "vnvdimm: message", not as a stack trace.
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is ToolException or InvalidOperationException or InvalidDataException or ConfigurationException)
        {
            ConsoleDiagnostics.Error(e.Message);
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ConsoleDiagnostics.Error(HostErrors.Describe(e));
            return 1;
        }
    }
}
