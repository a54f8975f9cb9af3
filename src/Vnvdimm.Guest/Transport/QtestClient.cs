using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Vnvdimm.Guest.Transport;

/// <summary>
/// A qtest client over any pair of streams, usually the stdio of a machine it started itself
/// (<see cref="Spawn"/>): QEMU or vnvdimm, whichever speaks the protocol.
/// </summary>
public sealed class QtestClient : IGuestConnection, IDisposable
{
    private readonly StreamReader _reader;
    private readonly StreamWriter _writer;
    private readonly Process? _process;

    /// <summary>The machine's process id, for a client that started it.</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("this client did not start its machine");
    private readonly StringBuilder _stderr = new();

    public QtestClient(Stream input, Stream output)
    {
        _reader = new StreamReader(input, Encoding.ASCII);
        _writer = new StreamWriter(output, new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };
    }

    private QtestClient(Process process) : this(process.StandardOutput.BaseStream, process.StandardInput.BaseStream)
    {
        _process = process;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (_stderr)
                    _stderr.AppendLine(e.Data);
        };
        process.BeginErrorReadLine();
    }

    /// <summary>What the machine printed on standard error so far.</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr)
                return _stderr.ToString();
        }
    }

    /// <summary>
    /// Starts <paramref name="program"/> with <paramref name="machineArgs"/> plus the options that make it
    /// a qtest target on stdio (as libqtest starts QEMU).
    /// </summary>
    public static QtestClient Spawn(string program, IEnumerable<string> machineArgs, IEnumerable<string>? programPrefix = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in programPrefix ?? [])
            info.ArgumentList.Add(a);
        foreach (var a in new[] { "-qtest", "stdio", "-qtest-log", "/dev/null", "-display", "none", "-nodefaults", "-S" }.Concat(machineArgs))
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        return new QtestClient(process);
    }

    private readonly List<string> _irqNotices = [];

    /// <summary>The asynchronous "IRQ raise N"/"IRQ lower N" lines received so far, in order (libqtest keeps them too).</summary>
    public IReadOnlyList<string> IrqNotices => _irqNotices;

    /// <summary>The longest answer line: a 64 MiB read in hex, the most a machine sends for one command.</summary>
    public const int MaxAnswerLength = (128 << 20) + 64;

    /// <summary>IRQ notices kept; a peer that sends more is not a machine (a machine sends one per line change).</summary>
    private const int MaxIrqNotices = 100_000;

    /// <summary>
    /// How long one command may take in all, whatever the peer sends meanwhile (null: no limit, as for a
    /// machine this client started). A socket's read timeout catches silence; this catches chatter.
    /// </summary>
    public TimeSpan? CommandDeadline { get; init; }

    /// <summary>Sends one command and returns the answer line; asynchronous "IRQ" notices go to <see cref="IrqNotices"/>.</summary>
    public string Command(string line)
    {
        _writer.WriteLine(line);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            string? answer;
            try
            {
                answer = ReadLine(line, clock);
            }
            catch (IOException e)
                when (e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.TimedOut })
            {
                throw new IOException($"no answer to '{line}' in time: is this a qtest socket, and is its machine serving?");
            }
            if (answer is null)
            {
                _process?.WaitForExit(5000);
                throw new IOException($"qtest connection closed after '{line}'. {StandardError}".Trim());
            }
            if (!answer.StartsWith("IRQ ", StringComparison.Ordinal))
                return answer;
            if (_irqNotices.Count >= MaxIrqNotices)
                throw new IOException($"more than {MaxIrqNotices} IRQ lines and no answer to '{line}': this is not a qtest machine");
            _irqNotices.Add(answer);
        }
    }

    private readonly StringBuilder _line = new();

    /// <summary>One line, at most <see cref="MaxAnswerLength"/> long and within the command's deadline; null at the end of input.</summary>
    private string? ReadLine(string command, Stopwatch clock)
    {
        _line.Clear();
        while (true)
        {
            if (CommandDeadline is TimeSpan deadline && clock.Elapsed > deadline)
                throw new IOException(
                    $"no complete answer to '{command}' within {deadline.TotalSeconds:0.#} s: is this a qtest socket, and is its machine serving?");
            int c = _reader.Read();
            if (c < 0)
                return _line.Length > 0 ? _line.ToString() : null;
            if (c == '\n')
                return _line.ToString();
            if (_line.Length >= MaxAnswerLength)
                throw new IOException($"an answer to '{command}' longer than {MaxAnswerLength} bytes: this is not a qtest machine");
            _line.Append((char)c);
        }
    }

    private string Ok(string line)
    {
        string answer = Command(line);
        return answer == "OK" || answer.StartsWith("OK ", StringComparison.Ordinal)
            ? answer.Length > 3 ? answer[3..] : ""
            : throw new InvalidOperationException($"qtest '{line}' answered '{answer}'");
    }

    public void Out(ushort port, int size, uint value) => Ok($"out{Suffix(size)} 0x{port:x} 0x{value:x}");

    public uint In(ushort port, int size) => (uint)ParseHex(Ok($"in{Suffix(size)} 0x{port:x}"));

    public byte[] ReadMemory(ulong address, int length) =>
        length == 0 ? [] : Convert.FromBase64String(Ok($"b64read 0x{address:x} 0x{length:x}"));

    public void WriteMemory(ulong address, ReadOnlySpan<byte> data)
    {
        if (!data.IsEmpty)
            Ok($"b64write 0x{address:x} 0x{data.Length:x} {Convert.ToBase64String(data)}");
    }

    private static char Suffix(int size) => size switch { 1 => 'b', 2 => 'w', 4 => 'l', _ => throw new ArgumentOutOfRangeException(nameof(size)) };

    private static ulong ParseHex(string text) =>
        ulong.Parse(text.AsSpan(text.StartsWith("0x", StringComparison.Ordinal) ? 2 : 0), NumberStyles.AllowHexSpecifier,
            CultureInfo.InvariantCulture);

    /// <summary>Kills the machine this client started (SIGKILL), as a crash would.</summary>
    public void Kill() => _process?.Kill(entireProcessTree: true);

    public void Dispose()
    {
        try
        {
            _writer.Dispose();
        }
        catch (IOException)
        {
        }
        if (_process is not null)
        {
            if (!_process.WaitForExit(3000))
                _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
        }
    }
}
