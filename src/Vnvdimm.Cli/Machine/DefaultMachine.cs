using Microsoft.Extensions.Logging;
using Spectre.Console;
using Vnvdimm.Migration;
using Vnvdimm.Monitor;
using Vnvdimm.Monitor.Hmp;

namespace Vnvdimm.Cli.Machine;

/// <summary>
/// The machine <c>./vnvdimm</c> starts without arguments: one 1 GiB file-backed NVDIMM with a
/// 128 KiB label area, persistence domain "cpu". Its backing file lives in the data folder
/// (VNVDIMM_DATA_DIR, else $XDG_DATA_HOME/vnvdimm, else ~/.local/share/vnvdimm) and is kept across runs.
/// </summary>
public static class DefaultMachine
{
    public static string DataFolder()
    {
        if (Environment.GetEnvironmentVariable("VNVDIMM_DATA_DIR") is { Length: > 0 } explicitFolder)
            return explicitFolder;
        string dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(dataHome, "vnvdimm");
    }

    /// <summary>The same machine as a QEMU command line, so it is built by the one code path every machine takes.</summary>
    public static string[] Arguments(string dataFolder) =>
    [
        "-machine", "pc,nvdimm=on,nvdimm-persistence=cpu",
        "-m", "512M,slots=4,maxmem=8G",
        "-object", $"memory-backend-file,id=mem0,share=on,mem-path={Path.Combine(dataFolder, "nvdimm0.img").Replace(",", ",,")},size=1G",
        "-device", "nvdimm,id=nvdimm0,memdev=mem0,label-size=128K",
    ];

    /// <summary>A progress bar while the prompt waits for a migration started without -d.</summary>
    private static void ShowMigrationProgress(IAnsiConsole console, Migration.MigrationManager migration)
    {
        console.Progress()
            .Columns(
                new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new TransferSpeedColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("migration");
                while (true)
                {
                    var info = migration.Info();
                    if (info.Ram is { Total: > 0 } ram)
                    {
                        task.MaxValue = ram.Total;
                        task.Value = ram.Total - ram.Remaining;
                    }
                    if (!migration.Active)
                        break;
                    Thread.Sleep(100);
                }
                task.StopTask();
            });
        console.MarkupLine($"migration {Markup.Escape(migration.Info().Status.Name())}"); // a failure's reason follows as the command's error
    }

    /// <summary>Shows what the guest sees, then an HMP prompt until quit or the end of input.</summary>
    public static int Serve(Vmm.Machine machine, ILogger logger)
    {
        var console = AnsiConsole.Console;
        console.MarkupLine($"[bold]vnvdimm[/] default machine: {machine.Configuration.Machine.TypeName}, " +
            $"backing file in [blue]{Markup.Escape(DataFolder())}[/]");
        GuestViewPrinter.Print(new InProcessGuest(machine), console);
        console.MarkupLine("HMP monitor: [bold]help[/] lists the commands, [bold]quit[/] (or the end of input) stops.");
        var hmp = new HmpInterpreter(new MachineMonitor(machine, logger), migration => ShowMigrationProgress(console, migration));
        while (true)
        {
            Console.Out.Write("(vnvdimm) ");
            string? line = Console.In.ReadLine();
            if (line is null)
            {
                Console.Out.WriteLine(); // the end of input (Ctrl-D) leaves the prompt's line open: the shell's prompt starts on its own
                return 0;
            }
            var result = hmp.Execute(line);
            Console.Out.Write(result.Output.Replace("\r\n", "\n", StringComparison.Ordinal));
            if (result.Quit)
                return 0;
        }
    }
}
