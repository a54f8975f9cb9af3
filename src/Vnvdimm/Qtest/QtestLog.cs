using System.Diagnostics;
using System.Globalization;

namespace Vnvdimm.Qtest;

/// <summary>The -qtest-log file: "[R +seconds] command" and "[S +seconds] answer", as QEMU writes it.</summary>
public sealed class QtestLog(TextWriter? writer) : IDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _lock = new();

    public static QtestLog Open(string? path) =>
        new(path is null ? null : new StreamWriter(path, append: false) { AutoFlush = true });

    /// <summary>False for no log: callers then skip formatting lines nobody reads.</summary>
    public bool IsOpen => writer is not null;

    public void Received(string line) => Write('R', line);
    public void Sent(string line) => Write('S', line);

    private void Write(char direction, string line)
    {
        if (writer is null)
            return;
        lock (_lock)
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{direction} +{_clock.Elapsed.TotalSeconds:F6}] {line}"));
    }

    public void Dispose() => writer?.Dispose();
}
