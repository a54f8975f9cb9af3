using System.Text;

namespace Vnvdimm.Chardev;

/// <summary>What <see cref="LineReader.Read"/> found.</summary>
public enum LineStatus
{
    Line,
    /// <summary>A line over the limit: it was read to its end and dropped, never held whole.</summary>
    TooLong,
    End,
}

/// <summary>
/// Reads '\n'-terminated lines as bytes, with a length limit: a line over it is consumed and dropped as
/// it streams in, so a client that sends a huge line (or never a newline) costs at most the limit in
/// memory. The buffer shrinks back after a large line. Knows whether more input is already buffered.
/// </summary>
/// <param name="carriageReturnEndsLine">A lone '\r' ends a line too, as terminals and expect(1) send it (HMP); "\r\n" stays one end.</param>
public sealed class LineReader(Stream stream, int maxLineLength, bool carriageReturnEndsLine = false)
{
    private const int InitialSize = 1 << 16;

    private byte[] _buffer = new byte[InitialSize];
    private int _start, _end;
    private bool _skipLineFeed; // the last line ended at a '\r': a '\n' right after it belongs to that end

    public int MaxLineLength => maxLineLength;

    /// <summary>True when a complete further line is already buffered.</summary>
    public bool HasBufferedLine => EndOfLine(_buffer.AsSpan(_start, _end - _start)) >= 0;

    private int EndOfLine(ReadOnlySpan<byte> bytes) =>
        carriageReturnEndsLine ? bytes.IndexOfAny((byte)'\n', (byte)'\r') : bytes.IndexOf((byte)'\n');

    /// <summary>
    /// The next line without its terminator ("\r\n" or "\n"); the span is valid until the next call.
    /// A last line without a newline counts as a line. <paramref name="limitOf"/>, given the start of a
    /// line still arriving, may name a tighter limit for it (a command that announces its length): the
    /// line is then dropped as soon as it passes that, and its buffer is sized once, not doubled.
    /// </summary>
    public LineStatus Read(out ReadOnlySpan<byte> line, Func<ReadOnlySpan<byte>, long>? limitOf = null)
    {
        line = default;
        if (_start == _end && _buffer.Length > InitialSize)
        {
            _buffer = new byte[InitialSize]; // a large line is not kept alive by an idle client
            _start = _end = 0;
        }
        int scanned = _start;
        while (true)
        {
            if (_skipLineFeed && _start < _end)
            {
                _skipLineFeed = false;
                if (_buffer[_start] == '\n')
                    scanned = ++_start;
            }
            int newline = EndOfLine(_buffer.AsSpan(scanned, _end - scanned));
            if (newline >= 0)
            {
                int end = scanned + newline;
                var whole = _buffer.AsSpan(_start, end - _start);
                _skipLineFeed = _buffer[end] == '\r';
                _start = end + 1;
                if (whole.Length > Limit(whole, limitOf)) // it arrived in one read: the limit holds all the same
                    return LineStatus.TooLong;
                line = TrimCr(whole);
                return LineStatus.Line;
            }
            scanned = _end;
            long limit = Limit(_buffer.AsSpan(_start, _end - _start), limitOf);
            if (_end - _start > limit)
                return SkipRestOfLine();
            if (_end == _buffer.Length)
                MakeRoom(ref scanned, limit);
            int read = stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                if (_end == _start)
                    return LineStatus.End;
                line = TrimCr(_buffer.AsSpan(_start, _end - _start));
                _start = _end;
                return LineStatus.Line;
            }
            _end += read;
        }
    }

    /// <summary>
    /// The next line as text (UTF-8 for monitors), null at end of input or for a line over the limit (see <paramref name="tooLong"/>).
    /// </summary>
    public string? ReadLine(out bool tooLong)
    {
        var status = Read(out var line);
        tooLong = status == LineStatus.TooLong;
        return status == LineStatus.Line ? Encoding.UTF8.GetString(line) : null;
    }

    private long Limit(ReadOnlySpan<byte> start, Func<ReadOnlySpan<byte>, long>? limitOf) =>
        Math.Min(maxLineLength, limitOf?.Invoke(start) ?? maxLineLength);

    private void MakeRoom(ref int scanned, long limit)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            scanned -= _start;
            _end -= _start;
            _start = 0;
            return;
        }
        // A line whose length is known gets its buffer at once; others double, up to the limit.
        long size = limit < maxLineLength ? limit + 2 : Math.Min((long)_buffer.Length * 2, (long)maxLineLength + 2);
        var bigger = new byte[Math.Max(size, _buffer.Length + 1)];
        _buffer.AsSpan(0, _end).CopyTo(bigger);
        _buffer = bigger;
    }

    private LineStatus SkipRestOfLine()
    {
        _buffer = new byte[InitialSize];
        _start = _end = 0;
        while (true)
        {
            int read = stream.Read(_buffer, 0, _buffer.Length);
            if (read == 0)
                return LineStatus.TooLong;
            int newline = _buffer.AsSpan(0, read).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                _start = newline + 1;
                _end = read;
                return LineStatus.TooLong;
            }
        }
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;
}
