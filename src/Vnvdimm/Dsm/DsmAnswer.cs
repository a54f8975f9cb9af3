using System.Buffers.Binary;

namespace Vnvdimm.Dsm;

/// <summary>
/// A DSM answer as it is written back into the page: len, then a 32-bit word (a status, or the
/// supported-function bitmap for function 0), then the payload.
/// </summary>
public readonly record struct DsmAnswer(uint Word, ReadOnlyMemory<byte> Payload)
{
    public int Length => DsmLayout.OutLengthSize + 4 + Payload.Length;

    public static DsmAnswer Status(uint status) => new(status, ReadOnlyMemory<byte>.Empty);

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Word);
        Payload.Span.CopyTo(destination[8..]);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }
}
