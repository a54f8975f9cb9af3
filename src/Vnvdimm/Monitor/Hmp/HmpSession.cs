using System.Text;
using Vnvdimm.Chardev;

namespace Vnvdimm.Monitor.Hmp;

/// <summary>
/// HMP over a connection: a banner, then "(qemu) " prompts, one command per line, as QEMU's
/// -monitor serves it (scripts that wait for the prompt work unchanged).
/// </summary>
public sealed class HmpSession(HmpInterpreter interpreter, Stream input, Stream output)
{
    public const string Prompt = "(qemu) ";

    /// <summary>An HMP line longer than this is dropped with an error; the session goes on.</summary>
    public const int MaxLineLength = 64 << 10;

    public void Run(CancellationToken cancel)
    {
        var reader = new LineReader(input, MaxLineLength, carriageReturnEndsLine: true);
        Write($"vnvdimm {MachineMonitor.ProductVersion} monitor " +
            $"(QEMU {MachineMonitor.CompatibleQemu.Major}.{MachineMonitor.CompatibleQemu.Minor} compatible) - " +
            $"type 'help' for more information\r\n{Prompt}");
        while (!cancel.IsCancellationRequested)
        {
            string? line = reader.ReadLine(out bool tooLong);
            if (tooLong)
            {
                Write($"Error: line longer than {MaxLineLength} bytes, ignored\r\n{Prompt}");
                continue;
            }
            if (line is null)
                return;
            var result = interpreter.Execute(line);
            Write(result.Quit ? result.Output : result.Output + Prompt);
            if (result.Quit)
                return;
        }
    }

    private void Write(string text)
    {
        output.Write(Encoding.UTF8.GetBytes(text));
        output.Flush();
    }
}
