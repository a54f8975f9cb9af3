using System.Buffers.Binary;
using System.Globalization;
using Vnvdimm.Vmm;

namespace Vnvdimm.Qtest;

/// <summary>
/// The qtest line protocol (QEMU's softmmu/qtest.c) over a machine: one command line in, one
/// answer line out. Where QEMU aborts on a malformed line, this answers <c>ERR ...</c> and carries on.
/// </summary>
public sealed class QtestSession(Machine machine)
{
    /// <summary>The largest read a client may ask for in one command; guards the host against a hostile client.</summary>
    public const ulong MaxTransfer = 64UL << 20;

    private long _clockNs;

    public string Execute(string line)
    {
        string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
            return "ERR empty command";
        try
        {
            lock (machine.SyncRoot)
                return Dispatch(words);
        }
        catch (QtestArgumentException e)
        {
            return $"ERR {e.Message}";
        }
    }

    private string Dispatch(string[] w)
    {
        switch (w[0])
        {
            case "outb" or "outw" or "outl":
                Args(w, 2);
                machine.Io.Write(Port(w[1]), AccessSize(w[0][3]), (uint)Number(w[2]));
                return "OK";
            case "inb" or "inw" or "inl":
                Args(w, 1);
                return $"OK 0x{machine.Io.Read(Port(w[1]), AccessSize(w[0][2])):x4}";
            case "writeb" or "writew" or "writel" or "writeq":
            {
                Args(w, 2);
                int size = AccessSize(w[0][5]);
                Span<byte> bytes = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, Number(w[2]));
                machine.Memory.Write(Number(w[1]), bytes[..size]);
                return "OK";
            }
            case "readb" or "readw" or "readl" or "readq":
            {
                Args(w, 1);
                int size = AccessSize(w[0][4]);
                Span<byte> bytes = stackalloc byte[8];
                bytes.Clear();
                machine.Memory.Read(Number(w[1]), bytes[..size]);
                return $"OK 0x{BinaryPrimitives.ReadUInt64LittleEndian(bytes):x16}";
            }
            case "read":
                Args(w, 2);
                return $"OK 0x{Convert.ToHexStringLower(ReadBlock(w[1], w[2]))}";
            case "b64read":
                Args(w, 2);
                return $"OK {Convert.ToBase64String(ReadBlock(w[1], w[2]))}";
            case "write":
            {
                Args(w, 3);
                ulong address = Number(w[1]);
                byte[] data = new byte[Length(w[2])];
                string hex = w[3];
                if (hex.Length < 3 || !hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                    throw new QtestArgumentException("invalid argument size");
                // Like QEMU: missing trailing digits write zeros.
                for (int i = 0; i < data.Length && 2 * i + 4 <= hex.Length; i++)
                    data[i] = byte.TryParse(hex.AsSpan(2 * i + 2, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b)
                        ? b : throw new QtestArgumentException($"invalid hex data '{hex}'");
                machine.Memory.Write(address, data);
                return "OK";
            }
            case "b64write":
            {
                Args(w, 3);
                ulong address = Number(w[1]);
                byte[] data = new byte[Length(w[2])];
                byte[] decoded;
                try
                {
                    decoded = Convert.FromBase64String(w[3]);
                }
                catch (FormatException)
                {
                    throw new QtestArgumentException("invalid base64 data");
                }
                decoded.AsSpan(0, Math.Min(decoded.Length, data.Length)).CopyTo(data);
                machine.Memory.Write(address, data);
                return "OK";
            }
            case "memset":
                Args(w, 3);
                machine.Memory.Fill(Number(w[1]), Number(w[2]), (byte)Number(w[3]));
                return "OK";
            case "endianness":
                return "OK little";
            case "clock_step":
                // No guest timers run here; the virtual clock only moves when asked to.
                _clockNs += w.Length > 1 ? (long)Number(w[1]) : 0;
                return $"OK {_clockNs}";
            case "clock_set":
                Args(w, 1);
                _clockNs = Math.Max(_clockNs, (long)Number(w[1]));
                return $"OK {_clockNs}";
            case "irq_intercept_in" or "irq_intercept_out":
                Args(w, 1);
                return "OK"; // no device of ours raises an interrupt line
            case "set_irq_in":
                return "FAIL Unknown device";
            default:
                return $"FAIL Unknown command '{w[0]}'";
        }
    }

    private byte[] ReadBlock(string addressText, string lengthText)
    {
        ulong address = Number(addressText);
        ulong length = Length(lengthText);
        if (length == 0)
            throw new QtestArgumentException("read of zero bytes");
        var data = new byte[length];
        machine.Memory.Read(address, data);
        return data;
    }

    private static ulong Length(string text)
    {
        ulong length = Number(text);
        return length <= MaxTransfer ? length : throw new QtestArgumentException($"size {text} exceeds the limit of {MaxTransfer} bytes per command");
    }

    private static void Args(string[] words, int count)
    {
        if (words.Length < count + 1)
            throw new QtestArgumentException($"'{words[0]}' needs {count} argument(s)");
    }

    private static int AccessSize(char suffix) => suffix switch { 'b' => 1, 'w' => 2, 'l' => 4, _ => 8 };

    private static ushort Port(string text)
    {
        ulong port = Number(text);
        return port <= 0xffff ? (ushort)port : throw new QtestArgumentException($"port {text} out of range");
    }

    /// <summary>strtoull with base 0: 0x for hex, a leading 0 for octal, else decimal.</summary>
    internal static ulong Number(string text)
    {
        bool ok;
        ulong value;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            ok = ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        else if (text.Length > 1 && text[0] == '0')
            ok = TryOctal(text.AsSpan(1), out value);
        else
            ok = ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        return ok ? value : throw new QtestArgumentException($"invalid number '{text}'");
    }

    private static bool TryOctal(ReadOnlySpan<char> digits, out ulong value)
    {
        value = 0;
        foreach (char c in digits)
        {
            if (c is < '0' or > '7' || value > ulong.MaxValue >> 3)
                return false;
            value = (value << 3) | (uint)(c - '0');
        }
        return true;
    }
}

public sealed class QtestArgumentException(string message) : Exception(message);
