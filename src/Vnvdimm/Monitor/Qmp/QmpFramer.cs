using System.Text;

namespace Vnvdimm.Monitor.Qmp;

/// <summary>One top-level JSON value cut from the QMP stream, or the framing error found instead.</summary>
public readonly record struct QmpFrame(string? Json, string? Error);

/// <summary>
/// Cuts a QMP byte stream into top-level JSON values. QMP is a stream, not lines: a command may span
/// lines and several may share one. Like QEMU it accepts single-quoted strings (rewritten to double
/// quotes here so that a standard parser can read the value) and bounds size and nesting; a value
/// over a bound is reported once and skipped to its end, and the stream goes on.
/// </summary>
public sealed class QmpFramer(int maxValueBytes = QmpFramer.DefaultMaxValueBytes, int maxNesting = QmpFramer.DefaultMaxNesting)
{
    /// <summary>No QMP command comes near a mebibyte; QEMU's own bound (64 MiB) is far above what a client needs.</summary>
    public const int DefaultMaxValueBytes = 1 << 20;

    /// <summary>QEMU's MAX_NESTING.</summary>
    public const int DefaultMaxNesting = 1024;

    private readonly List<byte> _value = [];
    private int _depth;
    private byte _quote;       // 0 outside a string, else the opening quote
    private bool _escape;
    private bool _bareWord;    // a top-level keyword or number in progress
    private bool _discarding;  // skipping the rest of an over-limit value

    /// <summary>Feeds bytes; returns the values (and errors) they complete, in order.</summary>
    public List<QmpFrame> Feed(ReadOnlySpan<byte> data)
    {
        var frames = new List<QmpFrame>();
        foreach (byte b in data)
            Step(b, frames);
        return frames;
    }

    /// <summary>Ends the stream: a bare word still open completes; an open structure is dropped, as QEMU drops it.</summary>
    public List<QmpFrame> Finish()
    {
        var frames = new List<QmpFrame>();
        if (_bareWord)
            EndBareWord(frames);
        Reset();
        return frames;
    }

    private void Step(byte b, List<QmpFrame> frames)
    {
        if (_bareWord)
        {
            if (IsWordByte(b))
            {
                Append(b, frames);
                return;
            }
            EndBareWord(frames);
        }

        if (_quote != 0)
        {
            InString(b, frames);
            return;
        }

        switch (b)
        {
            case (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n':
                if (_depth > 0)
                    Append(b, frames);
                return;
            case (byte)'"' or (byte)'\'':
                _quote = b;
                Append((byte)'"', frames);
                return;
            case (byte)'{' or (byte)'[':
                if (++_depth > maxNesting && !_discarding)
                    Fail(frames, "JSON nesting depth limit exceeded");
                Append(b, frames);
                return;
            case (byte)'}' or (byte)']':
                if (_depth == 0)
                {
                    frames.Add(new(null, "JSON parse error, expecting value"));
                    return;
                }
                Append(b, frames);
                if (--_depth == 0)
                    Complete(frames);
                return;
        }

        if (_depth > 0)
        {
            Append(b, frames);
        }
        else if (IsWordByte(b))
        {
            _bareWord = true;
            Append(b, frames);
        }
        else
        {
            frames.Add(new(null, $"JSON parse error, stray '{(b < 0x80 ? ((char)b).ToString() : $"\\x{b:x2}")}'"));
        }
    }

    private void InString(byte b, List<QmpFrame> frames)
    {
        if (_escape)
        {
            _escape = false;
            if (_quote == '\'' && b == '\'')
            {
                // \' needs no escape once the string is double-quoted.
                _value.RemoveAt(_value.Count - 1);
                Append(b, frames);
                return;
            }
            Append(b, frames);
            return;
        }
        if (b == '\\')
        {
            _escape = true;
            Append(b, frames);
            return;
        }
        if (b == _quote)
        {
            _quote = 0;
            Append((byte)'"', frames);
            if (_depth == 0)
                Complete(frames);
            return;
        }
        if (b == '"' && _quote == '\'')
        {
            Append((byte)'\\', frames);
            Append(b, frames);
            return;
        }
        Append(b, frames);
    }

    private void EndBareWord(List<QmpFrame> frames)
    {
        _bareWord = false;
        Complete(frames);
    }

    private void Append(byte b, List<QmpFrame> frames)
    {
        if (_discarding)
            return;
        if (_value.Count >= maxValueBytes)
        {
            Fail(frames, "JSON token size limit exceeded");
            return;
        }
        _value.Add(b);
    }

    private void Fail(List<QmpFrame> frames, string message)
    {
        frames.Add(new(null, message));
        _discarding = true;
        _value.Clear();
    }

    private void Complete(List<QmpFrame> frames)
    {
        if (!_discarding)
            frames.Add(new(Encoding.UTF8.GetString([.. _value]), null));
        Reset();
    }

    private void Reset()
    {
        _value.Clear();
        _depth = 0;
        _quote = 0;
        _escape = false;
        _bareWord = false;
        _discarding = false;
    }

    private static bool IsWordByte(byte b) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
            or (byte)'-' or (byte)'+' or (byte)'.' or (byte)'_';
}
