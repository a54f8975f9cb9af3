using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Vnvdimm.Options;

namespace Vnvdimm.Qtest;

/// <summary>
/// The -qtest-log file: "[R +seconds] command" and "[S +seconds] answer", as QEMU writes it. A log that
/// cannot be written (a full disk, /dev/full) stops logging with one warning; qtest goes on.
/// </summary>
public sealed class QtestLog(TextWriter? writer, ILogger? logger = null) : IDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _lock = new();
    private volatile bool _failed;

    /// <summary>
    /// Opens the log; null or "none" (QEMU's word for no log) means none, and so does /dev/null (what
    /// libqtest passes): nobody can read those lines, so they are neither formatted nor written.
    /// </summary>
    public static QtestLog Open(string? path, ILogger? logger = null)
    {
        if (path is null or "none" || IsDevNull(path))
            return new QtestLog(null);
        try
        {
            return new QtestLog(new StreamWriter(path, append: false) { AutoFlush = true }, logger);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ConfigurationException($"cannot open qtest log '{path}': {HostMemory.HostErrors.Describe(e, path)}", $"-qtest-log {path}");
        }
    }

    private static bool IsDevNull(string path)
    {
        try
        {
            return HostMemory.HostPaths.Resolved(path).FullName == "/dev/null";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false; // not resolvable: opening it will say why
        }
    }

    /// <summary>False for no log: callers then skip formatting lines nobody reads.</summary>
    public bool IsOpen => writer is not null && !_failed;

    public void Received(string line) => Write('R', line);
    public void Sent(string line) => Write('S', line);

    private void Write(char direction, string line)
    {
        if (!IsOpen)
            return;
        lock (_lock)
        {
            try
            {
                writer!.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{direction} +{_clock.Elapsed.TotalSeconds:F6}] {line}"));
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                _failed = true;
                logger?.LogWarning("-qtest-log: writing the log failed ({Reason}); qtest goes on without it", e.Message);
            }
        }
    }

    public void Dispose()
    {
        try
        {
            writer?.Dispose(); // flushes: the log's failure is no reason to fail the exit
        }
        catch (IOException)
        {
        }
    }
}
