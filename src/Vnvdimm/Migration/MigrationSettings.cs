namespace Vnvdimm.Migration;

/// <summary>The capabilities and parameters that shape a migration (migrate-set-capabilities/-parameters).</summary>
public sealed record MigrationSettings(bool Events, bool IgnoreShared, ulong MaxBandwidth)
{
    /// <summary>QEMU's default max-bandwidth: 128 MiB/s.</summary>
    public const ulong DefaultMaxBandwidth = 128UL << 20;

    public static MigrationSettings Default { get; } = new(false, false, DefaultMaxBandwidth);
}

/// <summary>Counts what goes on the wire and holds it to max-bandwidth (bytes per second; 0 is unlimited).</summary>
internal sealed class ThrottledStream(Stream inner, ulong bytesPerSecond, MigrationProgress progress) : Stream
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private long _written;

    /// <summary>Off for the stop-and-copy, as in QEMU: the machine is stopped, every millisecond counts.</summary>
    public bool Limited { get; set; } = true;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        _written += buffer.Length;
        progress.Sent(buffer.Length);
        if (bytesPerSecond == 0 || !Limited)
            return;
        double due = _written / (double)bytesPerSecond;
        double ahead = due - _clock.Elapsed.TotalSeconds;
        if (ahead > 0.001)
            Thread.Sleep(TimeSpan.FromSeconds(ahead));
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void Flush() => inner.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _written; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
