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
        Span<Range> words = stackalloc Range[MaxWords];
        int count = Split(line, words);
        try
        {
            if (count == 0)
                throw new QtestArgumentException("empty command");
            var name = line[words[0]];
            bool carriesData = name.SequenceEqual("write"u8) || name.SequenceEqual("b64write"u8);
            var w = new string[count];
            for (int i = 0; i < count; i++)
                w[i] = carriesData && i == PayloadWord ? "" : Encoding.Latin1.GetString(line[words[i]]);
            var payload = carriesData && count > PayloadWord ? line[words[PayloadWord]] : default;
            Dispatch(w, payload, answer);
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

    /// <summary>The word that may be huge (write's and b64write's data): it stays bytes.</summary>
    private const int PayloadWord = 3;

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

    private void Dispatch(string[] w, ReadOnlySpan<byte> payload, IBufferWriter<byte> answer)
    {
        string name = w[0];
        switch (name)
        {
            case "outb" or "outw" or "outl":
            {
                Args(w, 2);
                ushort port = Port(w[1]);
                uint value = (uint)Number(w[2]);
                using (_machine.Enter())
                    _machine.Io.Write(port, AccessSize(name[3]), value);
                Text(answer, "OK");
                return;
            }
            case "inb" or "inw" or "inl":
            {
                Args(w, 1);
                ushort port = Port(w[1]);
                uint value;
                using (_machine.Enter())
                    value = _machine.Io.Read(port, AccessSize(name[2]));
                Text(answer, $"OK 0x{value:x4}");
                return;
            }
            case "writeb" or "writew" or "writel" or "writeq":
            {
                Args(w, 2);
                ulong address = Number(w[1]);
                int size = AccessSize(name[5]);
                Span<byte> bytes = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, Number(w[2]));
                using (_machine.Enter())
                    _machine.Memory.Write(address, bytes[..size]);
                Text(answer, "OK");
                return;
            }
            case "readb" or "readw" or "readl" or "readq":
            {
                Args(w, 1);
                ulong address = Number(w[1]);
                int size = AccessSize(name[4]);
                Span<byte> bytes = stackalloc byte[8];
                bytes.Clear();
                using (_machine.Enter())
                    _machine.Memory.Read(address, bytes[..size]);
                Text(answer, $"OK 0x{BinaryPrimitives.ReadUInt64LittleEndian(bytes):x16}");
                return;
            }
            case "read":
                Args(w, 2);
                QtestEncoding.WriteHexAnswer(answer, ReadBlock(w[1], w[2]));
                return;
            case "b64read":
                Args(w, 2);
                QtestEncoding.WriteBase64Answer(answer, ReadBlock(w[1], w[2]));
                return;
            case "write" or "b64write":
            {
                Args(w, 3);
                ulong address = Number(w[1]);
                var data = new byte[Length(w[2])];
                bool hex = name == "write";
                // Like QEMU: data shorter than the length leaves zeros (missing hex digits, short base64).
                if (!(hex ? QtestEncoding.TryDecodeHex(payload, data) : QtestEncoding.TryDecodeBase64(payload, data)))
                    throw new QtestArgumentException(hex ? "invalid hex data" : "invalid base64 data");
                using (_machine.Enter())
                    _machine.Memory.Write(address, data);
                Text(answer, "OK");
                return;
            }
            case "memset":
            {
                Args(w, 3);
                ulong address = Number(w[1]);
                ulong length = Number(w[2]);
                byte value = (byte)Number(w[3]);
                // Chunk by chunk, the lock taken for each: a huge memset never holds the machine for long.
                IReadOnlyList<(ulong Address, ulong Length)> ranges;
                using (_machine.Enter())
                    ranges = _machine.Memory.MappedRanges(address, length);
                foreach (var (start, size) in ranges)
                    for (ulong at = 0; at < size; at += FillChunk)
                        using (_machine.Enter())
                            _machine.Memory.Fill(start + at, Math.Min(FillChunk, size - at), value);
                Text(answer, "OK");
                return;
            }
            case "endianness":
                Text(answer, "OK little");
                return;
            case "clock_step":
                // No guest timers run here; the virtual clock only moves when asked to.
                _clockNs += w.Length > 1 ? (long)Number(w[1]) : 0;
                Text(answer, $"OK {_clockNs}");
                return;
            case "clock_set":
                Args(w, 1);
                _clockNs = Math.Max(_clockNs, (long)Number(w[1]));
                Text(answer, $"OK {_clockNs}");
                return;
            case "irq_intercept_in" or "irq_intercept_out":
                Args(w, 1);
                Text(answer, InterceptableDevice(w[1]) is string device ? _machine.IrqIntercept.Intercept(device, name.EndsWith("_in", StringComparison.Ordinal)) : "FAIL Unknown device");
                return;
            case "set_irq_in":
                Text(answer, "FAIL Unknown device");
                return;
            default:
                Text(answer, $"FAIL Unknown command '{name}'");
                return;
        }
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

    private static void Args(string[] words, int count)
    {
        if (words.Length < count + 1)
            throw new QtestArgumentException($"'{words[0]}' needs {count} argument(s)");
    }

    private static void Text(IBufferWriter<byte> answer, string text) => Encoding.Latin1.GetBytes(text, answer);

    private byte[] ReadBlock(string addressText, string lengthText)
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

    private static ulong Length(string text)
    {
        ulong length = Number(text);
        return length <= MaxTransfer ? length : throw new QtestArgumentException($"size {text} exceeds the limit of {MaxTransfer} bytes per command");
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

public sealed class QtestArgumentException(string message) : UserError(message);
