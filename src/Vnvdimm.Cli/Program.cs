using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Vnvdimm.Cli;
using Vnvdimm.Cli.Machine;
using Vnvdimm.Options;
using Vnvdimm.Qtest;
using Vnvdimm.Vmm;

return Entry.Run(args);

internal static class Entry
{
    public static int Run(string[] args)
    {
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
            }
            if (embedded)
                Directory.CreateDirectory(DefaultMachine.DataFolder());
            using var machine = MachineBuilder.Build(parsed.Configuration, diagnostics);
            if (parsed.Configuration.PidFile is string pidFile)
                File.WriteAllText(pidFile, $"{Environment.ProcessId}\n");
            try
            {
                return embedded ? DefaultMachine.Serve(machine) : Serve(machine, parsed.Configuration, diagnostics);
            }
            finally
            {
                if (parsed.Configuration.PidFile is string path)
                    File.Delete(path);
            }
        }
        catch (ConfigurationException e)
        {
            ConsoleDiagnostics.Error(e.ToString());
            return 1;
        }
    }

    /// <summary>Serves until the qtest channel closes or a termination signal arrives.</summary>
    private static int Serve(Vnvdimm.Vmm.Machine machine, MachineConfiguration config, ILogger logger)
    {
        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        if (config.Qtest is null)
        {
            stop.Token.WaitHandle.WaitOne();
            return 0;
        }
        using var qtest = QtestServer.Start(machine, config.Qtest, config.QtestLog, logger);
        try
        {
            Task.WaitAny([qtest.Completion], stop.Token);
            qtest.Completion.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }
        return 0;
    }
}
