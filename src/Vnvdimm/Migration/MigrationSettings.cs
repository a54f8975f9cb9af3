namespace Vnvdimm.Migration;

/// <summary>The capabilities and parameters that shape a migration (migrate-set-capabilities/-parameters).</summary>
public sealed record MigrationSettings(bool Events, bool IgnoreShared, ulong MaxBandwidth)
{
    /// <summary>QEMU's default max-bandwidth: 128 MiB/s.</summary>
    public const ulong DefaultMaxBandwidth = 128UL << 20;

    public static MigrationSettings Default { get; } = new(false, false, DefaultMaxBandwidth);
}

/// <summary>
/// Counts what goes on the wire and holds it to max-bandwidth (bytes per second; 0 is unlimited), read
/// afresh at every write so that migrate-set-parameters applies to a running migration, as in QEMU.
/// Its waits end at once on cancel: migrate_cancel never waits for a throttle.
/// </summary>
internal sealed class ThrottledStream(Stream inner, Func<ulong> bytesPerSecond, MigrationProgress progress, CancellationToken cancel) : Stream
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private long _written, _total;
    private ulong _rate = bytesPerSecond();

    /// <summary>Off for the stop-and-copy, as in QEMU: the machine is stopped, every millisecond counts.</summary>
    public bool Limited { get; set; } = true;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        progress.Sent(buffer.Length);
        _written += buffer.Length;
        _total += buffer.Length;
        while (Limited)
        {
            ulong rate = bytesPerSecond();
            if (rate != _rate)
            {
                // A new limit counts from now.
                _rate = rate;
                _written = 0;
                _clock.Restart();
            }
            if (rate == 0)
                return;
            double ahead = _written / (double)rate - _clock.Elapsed.TotalSeconds;
            if (ahead <= 0.001)
                return;
            // In slices, so that a raised limit applies soon; a cancel ends the wait at once.
            if (cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(Math.Min(ahead, 0.1))))
                throw new OperationCanceledException(cancel);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void Flush() => inner.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _total; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
