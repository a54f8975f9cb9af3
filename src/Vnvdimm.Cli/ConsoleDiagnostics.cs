using Microsoft.Extensions.Logging;

namespace Vnvdimm.Cli;

/// <summary>
/// Prints log messages the way QEMU prints its diagnostics, "vnvdimm: warning: ...", on standard
/// error, so scripts that grep QEMU's stderr work unchanged.
/// </summary>
public sealed class ConsoleDiagnostics(LogLevel minimum) : ILoggerProvider, ILogger
{
    public const string ProgramName = "vnvdimm";

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
            return;
        string kind = logLevel switch
        {
            >= LogLevel.Error => "",
            LogLevel.Warning => "warning: ",
            _ => "info: ",
        };
        Console.Error.WriteLine($"{ProgramName}: {kind}{formatter(state, exception)}");
    }

    public static void Error(string message) => Console.Error.WriteLine($"{ProgramName}: {message}");

    public void Dispose()
    {
    }
}
