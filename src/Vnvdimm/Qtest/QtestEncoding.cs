using System.Buffers;
using System.Buffers.Text;

namespace Vnvdimm.Qtest;

/// <summary>
/// The data encodings of the qtest protocol, straight between bytes on the wire and guest data: hex
/// ("0x..." for read/write) and base64 (b64read/b64write), without intermediate strings.
/// </summary>
public static class QtestEncoding
{
    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    /// <summary>Data is encoded in pieces of this size, so that a writer that streams never holds the whole answer.</summary>
    private const int Piece = 48 << 10; // a multiple of 3: base64 pieces join without padding

    /// <summary>"OK 0x" and the data in lower-case hex, piece by piece.</summary>
    public static void WriteHexAnswer(IBufferWriter<byte> answer, ReadOnlySpan<byte> data)
    {
        answer.Write("OK 0x"u8);
        for (int at = 0; at < data.Length; at += Piece)
        {
            var piece = data.Slice(at, Math.Min(Piece, data.Length - at));
            var digits = answer.GetSpan(2 * piece.Length);
            for (int i = 0; i < piece.Length; i++)
            {
                digits[2 * i] = HexDigits[piece[i] >> 4];
                digits[2 * i + 1] = HexDigits[piece[i] & 0xf];
            }
            answer.Advance(2 * piece.Length);
        }
    }

    /// <summary>"OK " and the data in base64, piece by piece.</summary>
    public static void WriteBase64Answer(IBufferWriter<byte> answer, ReadOnlySpan<byte> data)
    {
        answer.Write("OK "u8);
        for (int at = 0; at < data.Length; at += Piece)
        {
            var piece = data.Slice(at, Math.Min(Piece, data.Length - at));
            var span = answer.GetSpan(Base64.GetMaxEncodedToUtf8Length(piece.Length));
            Base64.EncodeToUtf8(piece, span, out _, out int written);
            answer.Advance(written);
        }
    }

    /// <summary>
    /// "0x" and hex digits into <paramref name="data"/>; as QEMU, digits missing at the end leave zeros
    /// and digits beyond the length are ignored. False for a missing prefix or a non-hex digit.
    /// </summary>
    public static bool TryDecodeHex(ReadOnlySpan<byte> text, Span<byte> data)
    {
        if (text.Length < 3 || text[0] != '0' || (text[1] | 0x20) != 'x')
            return false;
        var digits = text[2..];
        data.Clear();
        for (int i = 0; i < data.Length && 2 * i + 1 < digits.Length; i++)
        {
            int high = Nibble(digits[2 * i]), low = Nibble(digits[2 * i + 1]);
            if ((high | low) < 0)
                return false;
            data[i] = (byte)(high << 4 | low);
        }
        return true;
    }

    /// <summary>Base64 into <paramref name="data"/>: shorter data leaves zeros, longer is cut, as QEMU does.</summary>
    public static bool TryDecodeBase64(ReadOnlySpan<byte> text, Span<byte> data)
    {
        data.Clear();
        if (text.Length == 0)
            return true;
        var decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(text.Length)];
        if (Base64.DecodeFromUtf8(text, decoded, out _, out int written) != OperationStatus.Done)
            return false;
        decoded.AsSpan(0, Math.Min(written, data.Length)).CopyTo(data);
        return true;
    }

    private static int Nibble(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
