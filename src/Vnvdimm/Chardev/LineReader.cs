using System.Text;

namespace Vnvdimm.Chardev;

/// <summary>
/// Reads '\n'-terminated lines with a length limit, so that a client that never sends a newline
/// cannot make the machine buffer without bound. Knows whether more input is already buffered.
/// Latin-1 unless told otherwise: qtest is ASCII, HMP may carry UTF-8 paths.
/// </summary>
public sealed class LineReader(Stream stream, int maxLineLength, Encoding? encoding = null)
{
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _start, _end;

    /// <summary>True when a complete further line is already buffered.</summary>
    public bool HasBufferedLine => _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n') >= 0;

    /// <summary>The next line without its terminator, or null at end of input. Over-long lines throw.</summary>
    public string? ReadLine()
    {
        var line = new MemoryStream();
        while (true)
        {
            int newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            int take = newline >= 0 ? newline : _end - _start;
            if (line.Length + take > maxLineLength)
                throw new InvalidDataException($"line longer than {maxLineLength} bytes");
            line.Write(_buffer, _start, take);
            if (newline >= 0)
            {
                _start += newline + 1;
                return Decode(line);
            }
            _start = _end = 0;
            int read = stream.Read(_buffer);
            if (read == 0)
                return line.Length > 0 ? Decode(line) : null;
            _end = read;
        }
    }

    private string Decode(MemoryStream line)
    {
        var bytes = line.GetBuffer().AsSpan(0, (int)line.Length);
        if (bytes.Length > 0 && bytes[^1] == '\r')
            bytes = bytes[..^1];
        return (encoding ?? Encoding.Latin1).GetString(bytes);
    }
}
