namespace Vnvdimm.Acpi.Aml;

/// <summary>
/// The byte buffer AML is encoded into. AML objects know their encoded length, so the buffer is
/// allocated once at its final size and filled front to back: a 256-slot SSDT (about 100 KiB) is
/// one allocation, with no growing, no inserting and no copy at the end.
/// </summary>
public sealed class AmlWriter(int length) : IAmlSink
{
    // Not zeroed: ToArray hands it out only once every byte has been written.
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(length);

    public int Position { get; private set; }

    public void Byte(byte value)
    {
        if (Position == _buffer.Length)
            throw Overrun();
        _buffer[Position++] = value;
    }

    public void Bytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > _buffer.Length - Position)
            throw Overrun();
        bytes.CopyTo(_buffer.AsSpan(Position));
        Position += bytes.Length;
    }

    /// <summary>The encoding: the buffer itself, once it is full.</summary>
    public byte[] ToArray() => Position == _buffer.Length
        ? _buffer
        : throw new InvalidOperationException($"AML encoding wrote {Position} of the {_buffer.Length} bytes it announced");

    private InvalidOperationException Overrun() =>
        new($"AML encoding writes past the {_buffer.Length} bytes it announced");
}
