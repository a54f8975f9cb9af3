using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Vnvdimm.Platform;
using Vnvdimm.Vmm;

namespace Vnvdimm.Qtest;

/// <summary>
/// The qtest line protocol (QEMU's softmmu/qtest.c) over a machine: one command line in, one
/// answer line out. Where QEMU aborts on a malformed line, this answers <c>ERR ...</c> and carries on.
/// </summary>
public sealed class QtestSession : IDisposable
{
    /// <summary>The largest read a client may ask for in one command; guards the host against a hostile client.</summary>
    public const ulong MaxTransfer = 64UL << 20;

    /// <summary>IRQ notes waiting for the client; beyond this the oldest are dropped (a client that never sends a command).</summary>
    private const int MaxPendingIrqs = 1024;

    private readonly Machine _machine;
    private readonly IDisposable _sciListener;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _irqs = new();
    private long _clockNs;
    private bool _sciTold;

    public QtestSession(Machine machine)
    {
        _machine = machine;
        // As QEMU: once the IOAPIC's inputs are intercepted, a line driven to a level other than the one last
        // told (low, to begin with) is told to the client.
        _sciListener = _machine.Gpe.Sci.Listen((irq, level) =>
        {
            if (!_machine.IrqIntercept.IoapicInputs || level == _sciTold)
                return;
            _sciTold = level;
            _irqs.Enqueue(level ? $"IRQ raise {irq}" : $"IRQ lower {irq}");
            while (_irqs.Count > MaxPendingIrqs)
                _irqs.TryDequeue(out _);
        });
    }

    /// <summary>
    /// Takes the "IRQ raise N"/"IRQ lower N" lines that are due. QEMU writes them the moment the line
    /// changes; a server sends them before its next answer, which is where libqtest reads them.
    /// </summary>
    public bool TryTakeIrq(out string line) => _irqs.TryDequeue(out line!);

    public void Dispose() => _sciListener.Dispose();

    /// <summary>How much of a memset runs under one hold of the machine lock.</summary>
    private const ulong FillChunk = 16UL << 20;

    /// <summary>One command as text, its answer as text: for tests and tools; servers use the byte form.</summary>
    public string Execute(string line)
    {
        var answer = new ArrayBufferWriter<byte>();
        Execute(Encoding.Latin1.GetBytes(line), answer);
        return Encoding.Latin1.GetString(answer.WrittenSpan);
    }

    /// <summary>
    /// Executes one command line and writes its answer (without the newline). The line stays bytes: a
    /// write's payload is decoded straight from it, and a read's answer encoded straight into
    /// <paramref name="answer"/>, so a large transfer costs its data plus its text once, no more.
    /// The machine lock is held for the guest access only, never while decoding or encoding.
    /// </summary>
    public void Execute(ReadOnlySpan<byte> line, IBufferWriter<byte> answer)
    {
        Span<Range> ranges = stackalloc Range[MaxWords];
        var words = new Words(line, ranges[..Split(line, ranges)]);
        try
        {
            if (words.Count == 0)
                throw new QtestArgumentException("empty command");
            Dispatch(words, answer);
        }
        catch (UserError e)
        {
            Text(answer, $"ERR {e.Message}");
        }
        catch (Exception e) when (e is not ObjectDisposedException)
        {
            // A defect or a host failure: this command fails, the session and the machine go on.
            Text(answer, $"ERR internal error: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    /// <summary>No command has more than a name and three arguments; further words are ignored, as QEMU does.</summary>
    private const int MaxWords = 4;

    /// <summary>The first <see cref="MaxWords"/> space-separated words; the last one runs to the next space.</summary>
    private static int Split(ReadOnlySpan<byte> line, Span<Range> words)
    {
        int count = 0, at = 0;
        while (count < words.Length)
        {
            while (at < line.Length && line[at] == ' ')
                at++;
            if (at == line.Length)
                break;
            int end = line[at..].IndexOf((byte)' ');
            end = end < 0 ? line.Length : at + end;
            words[count++] = at..end;
            at = end;
        }
        return count;
    }

    /// <summary>
    /// A command's words as bytes, read in place: every command on the hot path (port and memory accesses)
    /// runs without allocating; text is made only for messages.
    /// </summary>
    private readonly ref struct Words(ReadOnlySpan<byte> line, ReadOnlySpan<Range> ranges)
    {
        private readonly ReadOnlySpan<byte> _line = line;
        private readonly ReadOnlySpan<Range> _ranges = ranges;

        public int Count => _ranges.Length;

        public ReadOnlySpan<byte> this[int i] => _line[_ranges[i]];

        public string Text(int i) => Encoding.Latin1.GetString(this[i]);

        /// <summary>Throws unless the command has <paramref name="count"/> arguments.</summary>
        public void Need(int count)
        {
            if (Count < count + 1)
                throw new QtestArgumentException($"'{Text(0)}' needs {count} argument(s)");
        }

        public ulong Number(int i) => QtestSession.Number(this[i]);
    }

    /// <summary>Room for the longest command name ("irq_intercept_out" has 17); a longer first word is no command.</summary>
    private const int MaxNameLength = 32;

    private void Dispatch(in Words w, IBufferWriter<byte> answer)
    {
        Span<char> nameChars = stackalloc char[MaxNameLength];
        var nameBytes = w[0];
        if (nameBytes.Length > MaxNameLength)
        {
            Text(answer, $"FAIL Unknown command '{w.Text(0)}'");
            return;
        }
        ReadOnlySpan<char> name = nameChars[..Encoding.Latin1.GetChars(nameBytes, nameChars)];
        switch (name)
        {
            case "outb" or "outw" or "outl":
            {
                w.Need(2);
                ushort port = Port(w[1]);
                uint value = (uint)w.Number(2);
                using (_machine.Enter())
                    _machine.Io.Write(port, AccessSize(name[3]), value);
                answer.Write("OK"u8);
                return;
            }
            case "inb" or "inw" or "inl":
            {
                w.Need(1);
                ushort port = Port(w[1]);
                uint value;
                using (_machine.Enter())
                    value = _machine.Io.Read(port, AccessSize(name[2]));
                OkNumber(answer, value, "x4");
                return;
            }
            case "writeb" or "writew" or "writel" or "writeq":
            {
                w.Need(2);
                ulong address = w.Number(1);
                int size = AccessSize(name[5]);
                Span<byte> bytes = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, w.Number(2));
                using (_machine.Enter())
                    _machine.Memory.Write(address, bytes[..size]);
                answer.Write("OK"u8);
                return;
            }
            case "readb" or "readw" or "readl" or "readq":
            {
                w.Need(1);
                ulong address = w.Number(1);
                int size = AccessSize(name[4]);
                Span<byte> bytes = stackalloc byte[8];
                bytes.Clear();
                using (_machine.Enter())
                    _machine.Memory.Read(address, bytes[..size]);
                OkNumber(answer, BinaryPrimitives.ReadUInt64LittleEndian(bytes), "x16");
                return;
            }
            case "read":
                w.Need(2);
                QtestEncoding.WriteHexAnswer(answer, ReadBlock(w[1], w[2]));
                return;
            case "b64read":
                w.Need(2);
                QtestEncoding.WriteBase64Answer(answer, ReadBlock(w[1], w[2]));
                return;
            case "write" or "b64write":
            {
                w.Need(3);
                ulong address = w.Number(1);
                var data = new byte[Length(w[2])];
                bool hex = name is "write";
                // Like QEMU: data shorter than the length leaves zeros (missing hex digits, short base64).
                if (!(hex ? QtestEncoding.TryDecodeHex(w[3], data) : QtestEncoding.TryDecodeBase64(w[3], data)))
                    throw new QtestArgumentException(hex ? "invalid hex data" : "invalid base64 data");
                using (_machine.Enter())
                    _machine.Memory.Write(address, data);
                answer.Write("OK"u8);
                return;
            }
            case "memset":
            {
                w.Need(3);
                ulong address = w.Number(1);
                ulong length = w.Number(2);
                byte value = (byte)w.Number(3);
                // Chunk by chunk, the lock taken for each: a huge memset never holds the machine for long.
                IReadOnlyList<(ulong Address, ulong Length)> ranges;
                using (_machine.Enter())
                    ranges = _machine.Memory.MappedRanges(address, length);
                foreach (var (start, size) in ranges)
                    for (ulong at = 0; at < size; at += FillChunk)
                        using (_machine.Enter())
                            _machine.Memory.Fill(start + at, Math.Min(FillChunk, size - at), value);
                answer.Write("OK"u8);
                return;
            }
            case "endianness":
                answer.Write("OK little"u8);
                return;
            case "clock_step":
                // No guest timers run here; the virtual clock only moves when asked to.
                _clockNs += w.Count > 1 ? (long)w.Number(1) : 0;
                OkClock(answer, _clockNs);
                return;
            case "clock_set":
                w.Need(1);
                _clockNs = Math.Max(_clockNs, (long)w.Number(1));
                OkClock(answer, _clockNs);
                return;
            case "irq_intercept_in" or "irq_intercept_out":
                w.Need(1);
                Text(answer, InterceptableDevice(w.Text(1)) is string device
                    ? _machine.IrqIntercept.Intercept(device, name.EndsWith("_in"))
                    : "FAIL Unknown device");
                return;
            case "set_irq_in":
                answer.Write("FAIL Unknown device"u8);
                return;
            default:
                Text(answer, $"FAIL Unknown command '{w.Text(0)}'");
                return;
        }
    }

    /// <summary>"OK 0x" and the value in <paramref name="hexFormat"/> ("x4", "x16"), straight into the buffer.</summary>
    private static void OkNumber(IBufferWriter<byte> answer, ulong value, string hexFormat)
    {
        var span = answer.GetSpan(32);
        "OK 0x"u8.CopyTo(span);
        value.TryFormat(span[5..], out int digits, hexFormat, CultureInfo.InvariantCulture);
        answer.Advance(5 + digits);
    }

    /// <summary>"OK" and the virtual clock in nanoseconds, signed as QEMU prints it.</summary>
    private static void OkClock(IBufferWriter<byte> answer, long clock)
    {
        var span = answer.GetSpan(32);
        "OK "u8.CopyTo(span);
        clock.TryFormat(span[3..], out int digits, default, CultureInfo.InvariantCulture);
        answer.Advance(3 + digits);
    }

    /// <summary>
    /// The device a QOM path names, as QEMU resolves it for an intercept: the IOAPIC by its partial path,
    /// an NVDIMM by its id or full path; null for anything else.
    /// </summary>
    private string? InterceptableDevice(string path)
    {
        if (path == IrqIntercept.Ioapic && _machine.Configuration.Machine.Chipset != Options.ChipsetKind.None)
            return IrqIntercept.Ioapic;
        using (_machine.Enter())
            return _machine.Nvdimms.FirstOrDefault(d => d.Id is string id && (path == id || path == $"/machine/peripheral/{id}"))?.Id;
    }

    private static void Text(IBufferWriter<byte> answer, string text) => Encoding.Latin1.GetBytes(text, answer);

    private byte[] ReadBlock(ReadOnlySpan<byte> addressText, ReadOnlySpan<byte> lengthText)
    {
        ulong address = Number(addressText);
        ulong length = Length(lengthText);
        if (length == 0)
            throw new QtestArgumentException("read of zero bytes");
        var data = new byte[length];
        using (_machine.Enter())
            _machine.Memory.Read(address, data);
        return data;
    }

    private static ulong Length(ReadOnlySpan<byte> text)
    {
        ulong length = Number(text);
        return length <= MaxTransfer
            ? length
            : throw new QtestArgumentException($"size {Encoding.Latin1.GetString(text)} exceeds the limit of {MaxTransfer} bytes per command");
    }

    private static int AccessSize(char suffix) => suffix switch { 'b' => 1, 'w' => 2, 'l' => 4, _ => 8 };

    private static ushort Port(ReadOnlySpan<byte> text)
    {
        ulong port = Number(text);
        return port <= 0xffff ? (ushort)port : throw new QtestArgumentException($"port {Encoding.Latin1.GetString(text)} out of range");
    }

    /// <summary>strtoull with base 0 on the line's bytes: 0x for hex, a leading 0 for octal, else decimal.</summary>
    internal static ulong Number(ReadOnlySpan<byte> text)
    {
        ulong value = 0;
        bool ok = text.Length > 0;
        if (text.Length > 2 && text[0] == '0' && (text[1] | 0x20) == 'x')
        {
            foreach (byte c in text[2..])
            {
                int digit = c is >= (byte)'0' and <= (byte)'9' ? c - '0' : (c | 0x20) is >= 'a' and <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
                if (digit < 0 || value > ulong.MaxValue >> 4)
                {
                    ok = false;
                    break;
                }
                value = (value << 4) | (uint)digit;
            }
        }
        else if (text.Length > 1 && text[0] == '0')
        {
            foreach (byte c in text[1..])
            {
                if (c is < (byte)'0' or > (byte)'7' || value > ulong.MaxValue >> 3)
                {
                    ok = false;
                    break;
                }
                value = (value << 3) | (uint)(c - '0');
            }
        }
        else
        {
            foreach (byte c in text)
            {
                if (c is < (byte)'0' or > (byte)'9' || value > (ulong.MaxValue - (uint)(c - '0')) / 10)
                {
                    ok = false;
                    break;
                }
                value = value * 10 + (uint)(c - '0');
            }
        }
        return ok ? value : throw new QtestArgumentException($"invalid number '{Encoding.Latin1.GetString(text)}'");
    }

}

public sealed class QtestArgumentException(string message) : UserError(message);
