using System.Buffers;

namespace Vnvdimm.Qtest;

/// <summary>
/// An answer written straight to the client as it is encoded: a 64 MiB read goes out in pieces, so a
/// client that does not read holds its data and one piece, not the whole encoded answer as well.
/// </summary>
internal sealed class StreamingAnswer(Stream output) : IBufferWriter<byte>
{
    private byte[] _buffer = new byte[128 << 10];
    private int _count;

    /// <summary>Bytes handed to the stream since the last <see cref="Flush"/> that ended an answer: then nothing may come between.</summary>
    public bool Started { get; private set; }

    public void Advance(int count) => _count += count;

    public Memory<byte> GetMemory(int sizeHint = 0) => Room(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => Room(sizeHint).Span;

    private Memory<byte> Room(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_count + sizeHint > _buffer.Length)
        {
            Started = true;
            Flush();
            if (sizeHint > _buffer.Length)
                _buffer = new byte[sizeHint];
        }
        return _buffer.AsMemory(_count);
    }

    /// <summary>Hands what was written so far to the stream.</summary>
    public void Flush()
    {
        output.Write(_buffer, 0, _count);
        _count = 0;
    }

    /// <summary>Hands the rest of the answer to the stream: the next answer starts afresh.</summary>
    public void Finish()
    {
        Flush();
        Started = false;
    }
}
