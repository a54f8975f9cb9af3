using System.Buffers;

namespace Vnvdimm.Acpi.Aml;

/// <summary>
/// The growing byte buffer AML is encoded into. Its storage comes from the shared array pool, so
/// building large tables (256 slots make about 150 KiB) allocates no large buffers but the result.
/// </summary>
public sealed class AmlWriter : IDisposable
{
    private byte[] _buffer;
    private int _count;

    public AmlWriter(int capacity = 256) => _buffer = ArrayPool<byte>.Shared.Rent(capacity);

    public int Count => _count;

    /// <summary>What has been written so far; valid until the next write.</summary>
    public Span<byte> Written => _buffer.AsSpan(0, _count);

    public void Add(byte value)
    {
        Reserve(1);
        _buffer[_count++] = value;
    }

    public void AddRange(ReadOnlySpan<byte> bytes)
    {
        Reserve(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_count));
        _count += bytes.Length;
    }

    /// <summary>Inserts <paramref name="bytes"/> at <paramref name="index"/>, moving what follows.</summary>
    public void Insert(int index, ReadOnlySpan<byte> bytes)
    {
        Reserve(bytes.Length);
        _buffer.AsSpan(index, _count - index).CopyTo(_buffer.AsSpan(index + bytes.Length));
        bytes.CopyTo(_buffer.AsSpan(index));
        _count += bytes.Length;
    }

    public byte[] ToArray()
    {
        // Every byte is overwritten at once: skip the zeroing (a 256-slot table is ~150 KiB).
        var result = GC.AllocateUninitializedArray<byte>(_count);
        Written.CopyTo(result);
        return result;
    }

    private void Reserve(int more)
    {
        if (_count + more <= _buffer.Length)
            return;
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _count + more));
        Written.CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _count = 0;
    }
}
