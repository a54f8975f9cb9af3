using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Vnvdimm.Cli;
using Vnvdimm.Chardev;
using Vnvdimm.Cli.Machine;
using Vnvdimm.Monitor;
using Vnvdimm.Options;
using Vnvdimm.Qtest;
using Vnvdimm.Vmm;

return Entry.Run(args);

internal static class Entry
{
    public static int Run(string[] args)
    {
        // The last resort for a defect on any thread: a clear message and exit status 1, never SIGABRT.
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            ConsoleDiagnostics.Error($"internal error: {e.ExceptionObject}");
            Environment.Exit(1);
        };
        if (Console.IsOutputRedirected)
            AnsiConsole.Profile.Width = 1000; // output for programs and logs is not wrapped at 80 columns
        if (args.Length > 0 && Vnvdimm.Cli.Tools.ToolCommands.Names.Contains(args[0]))
            return Vnvdimm.Cli.Tools.ToolCommands.Run(args);
        using var diagnostics = new ConsoleDiagnostics(LogLevel.Warning);
        try
        {
            bool embedded = args.Length == 0;
            var parsed = CommandLineParser.Parse(embedded ? DefaultMachine.Arguments(DefaultMachine.DataFolder()) : args);
            switch (parsed.Action)
            {
                case CommandLineAction.Help:
                    Console.Out.Write(HelpText.Usage);
                    return 0;
                case CommandLineAction.Version:
                    Console.Out.Write(HelpText.Version);
                    return 0;
                case CommandLineAction.Print:
                    Console.Out.Write(parsed.Output);
                    return 0;
            }
            if (embedded)
                Directory.CreateDirectory(DefaultMachine.DataFolder());
            // The pidfile first, as QEMU does: a second instance is refused before it creates anything.
            using var pidFile = parsed.Configuration.PidFile is string path ? PidFile.Create(path) : null;
            using var machine = MachineBuilder.Build(parsed.Configuration, diagnostics);
            bool serving = false;
            try
            {
                return embedded
                    ? DefaultMachine.Serve(machine, diagnostics)
                    : Serve(machine, parsed.Configuration, diagnostics, () => serving = true);
            }
            catch when (!embedded && !serving)
            {
                // An endpoint that could not start fails the command: the backing files it created go too.
                machine.Dispose();
                foreach (var created in machine.CreatedFiles)
                    File.Delete(created);
                throw;
            }
        }
        catch (ConfigurationException e)
        {
            ConsoleDiagnostics.Error(e.ToString());
            return 1;
        }
        catch (MonitorException e)
        {
            ConsoleDiagnostics.Error(e.Message);
            return 1;
        }
    }

    /// <summary>
    /// Serves qtest and the monitors until a monitor says quit, a stdio or client-mode qtest channel
    /// closes, or a termination signal arrives (reported to QMP clients as QEMU does: SHUTDOWN, "host-signal").
    /// Then everything stops within <see cref="ShutdownBudget"/>, whatever the clients do.
    /// </summary>
    private static int Serve(Vnvdimm.Vmm.Machine machine, MachineConfiguration config, ILogger logger, Action serving)
    {
        // The handlers only flag the request (the run-state lock is a leaf): a signal is never stuck behind a client or the machine lock.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; machine.RequestShutdown("host-signal"); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; machine.RequestShutdown("host-signal"); });
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; machine.RequestShutdown("host-signal"); });
        QtestServer? qtest = null;
        MonitorServers? monitors = null;
        IdleEndpoints? idle = null;
        var monitor = new MachineMonitor(machine, logger);
        try
        {
            idle = IdleEndpoints.Start(config.Idle, logger);
            qtest = config.Qtest is null ? null : QtestServer.Start(machine, config.Qtest, config.QtestLog, logger);
            monitors = MonitorServers.Start(monitor, config, logger);
            if (config.Incoming is string incoming && incoming != "defer")
                monitor.Migrate(m => m.StartIncoming(incoming));
            serving();
            var ends = new List<Task> { machine.ShutdownRequested, monitor.Migration.Incoming };
            if (qtest is not null && config.Qtest!.Kind is EndpointKind.Stdio or EndpointKind.Client)
                ends.Add(qtest.Completion);
            while (true)
            {
                var ended = ends[Task.WaitAny([.. ends])];
                if (ended != monitor.Migration.Incoming)
                    return 0;
                // As QEMU: a destination whose incoming migration failed exits with an error.
                if (!monitor.Migration.Incoming.Result)
                    return 1;
                ends.Remove(ended);
            }
        }
        finally
        {
            var deadline = DateTime.UtcNow + ShutdownBudget;
            if (!monitor.Migration.Shutdown(deadline))
                logger.LogWarning("a migration thread did not stop in time; its memory is left mapped until exit");
            monitors?.Stop(deadline);
            qtest?.Stop(deadline);
            idle?.Stop(deadline);
        }
    }

    /// <summary>From a shutdown request to the last client hung up on; the machine's unmapping follows.</summary>
    private static readonly TimeSpan ShutdownBudget = TimeSpan.FromSeconds(0.8);
}
