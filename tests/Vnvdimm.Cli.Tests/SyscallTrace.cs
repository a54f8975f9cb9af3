using System.Globalization;
using System.Text;
using Vnvdimm.Testing;

namespace Vnvdimm.Cli.Tests;

/// <summary>
/// One system call from an <c>strace -f -o</c> log: its thread, name, arguments as strace printed
/// them, result, and the log lines where it began and where it returned (the same line unless
/// another thread's call came in between). A call that returned at line <c>n</c> happened before
/// any call that began after <c>n</c>.
/// </summary>
public sealed record Syscall(int Thread, string Name, IReadOnlyList<string> Args, string Result, int Began, int Returned)
{
    public string Arg(int i) => i < Args.Count ? Args[i] : throw new InvalidDataException($"{this} has no argument {i}");

    /// <summary>An argument as a number: hex (0x...), decimal, or NULL.</summary>
    public ulong Number(int i) => SyscallTrace.Number(Arg(i));

    public bool Succeeded => Result.Length > 0 && Result[0] != '-' && Result[0] != '?';

    public long ResultValue => Result.StartsWith("0x", StringComparison.Ordinal)
        ? (long)ulong.Parse(Result.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
        : long.Parse(Result, CultureInfo.InvariantCulture);

    /// <summary>The buffer a write or sendto carried, as strace quoted it (escapes undone for \n, \t, \\ and \").</summary>
    public string Text => SyscallTrace.Unquote(Arg(1));

    public override string ToString() => $"[{Began}..{Returned}] {Thread} {Name}({string.Join(", ", Args)}) = {Result}";
}

/// <summary>
/// Runs a program under strace and reads back what it did. The durability tests use it to see the
/// real vnvdimm process flush (msync, fdatasync, fsync) and answer (write, sendto), in order.
/// </summary>
public static class SyscallTrace
{
    private static readonly Lazy<string?> Unusable = new(() =>
    {
        string? strace = Prerequisite.Program("strace");
        if (strace is null)
            return "strace is not installed (apt-get install strace, or run ./test.sh as root)";
        var probe = TestMachines.Run(strace, ["-f", "-o", "/dev/null", "true"], "", null, TimeSpan.FromSeconds(30));
        return probe.ExitCode == 0 ? null : $"strace cannot trace processes here (ptrace refused?): {probe.Stderr.Trim()}";
    });

    public static string Strace => Prerequisite.Program("strace")!;

    /// <summary>Skips (or fails, under CI) the test unless strace can trace a process here.</summary>
    public static void Require() => Prerequisite.Require(Unusable.Value);

    /// <summary>
    /// strace's own arguments before the traced command: follow threads, log to <paramref name="log"/>,
    /// only <paramref name="syscalls"/>, the environment additions, strings up to 96 characters.
    /// </summary>
    public static string[] Options(string log, IEnumerable<string> syscalls, IReadOnlyDictionary<string, string>? environment = null) =>
    [
        "-f", "-o", log, "-s", "96", "-e", "trace=" + string.Join(',', syscalls),
        .. (environment ?? new Dictionary<string, string>()).SelectMany(e => new[] { "-E", $"{e.Key}={e.Value}" }),
        "--",
    ];

    /// <summary>Every completed call of the log, in the order they returned.</summary>
    public static IReadOnlyList<Syscall> Read(string log)
    {
        var calls = new List<Syscall>();
        var pending = new Dictionary<int, (string Text, int Line)>();
        string[] lines = File.ReadAllLines(log);
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n];
            int space = line.IndexOf(' ');
            if (space <= 0 || !int.TryParse(line.AsSpan(0, space), out int tid))
                continue;
            string rest = line[space..].TrimStart();
            if (rest.StartsWith("+++", StringComparison.Ordinal) || rest.StartsWith("---", StringComparison.Ordinal))
                continue;
            int began = n;
            const string Unfinished = " <unfinished ...>";
            if (rest.EndsWith(Unfinished, StringComparison.Ordinal))
            {
                pending[tid] = (rest[..^Unfinished.Length], n);
                continue;
            }
            if (rest.StartsWith("<... ", StringComparison.Ordinal))
            {
                int resumed = rest.IndexOf(" resumed>", StringComparison.Ordinal);
                if (resumed < 0 || !pending.Remove(tid, out var start))
                    continue;
                rest = start.Text + rest[(resumed + " resumed>".Length)..];
                began = start.Line;
            }
            if (Parse(tid, rest, began, n) is { } call)
                calls.Add(call);
        }
        return calls;
    }

    private static Syscall? Parse(int tid, string text, int began, int returned)
    {
        // name(args) = result, where strace pads short calls with spaces before the '='.
        int open = text.IndexOf('(');
        int equals = text.LastIndexOf(" = ", StringComparison.Ordinal);
        int close = equals < 0 ? -1 : text.LastIndexOf(')', equals);
        if (open <= 0 || close < open || !string.IsNullOrWhiteSpace(text[(close + 1)..equals]))
            return null;
        string result = text[(equals + 3)..].Split(' ', 2)[0];
        return new Syscall(tid, text[..open], SplitArgs(text[(open + 1)..close]), result, began, returned);
    }

    /// <summary>Splits strace's argument list at the commas outside strings, braces, brackets and parentheses.</summary>
    private static List<string> SplitArgs(string args)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        int depth = 0;
        bool quoted = false;
        for (int i = 0; i < args.Length; i++)
        {
            char c = args[i];
            if (quoted)
            {
                current.Append(c);
                if (c == '\\' && i + 1 < args.Length)
                    current.Append(args[++i]);
                else if (c == '"')
                    quoted = false;
                continue;
            }
            switch (c)
            {
                case '"':
                    quoted = true;
                    break;
                case '{' or '[' or '(':
                    depth++;
                    break;
                case '}' or ']' or ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    parts.Add(current.ToString().Trim());
                    current.Clear();
                    continue;
            }
            current.Append(c);
        }
        if (current.Length > 0)
            parts.Add(current.ToString().Trim());
        return parts;
    }

    public static ulong Number(string text) =>
        text == "NULL" ? 0
        : text.StartsWith("0x", StringComparison.Ordinal) ? ulong.Parse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
        : ulong.Parse(text, CultureInfo.InvariantCulture);

    public static string Unquote(string quoted)
    {
        int end = quoted.LastIndexOf('"');
        if (!quoted.StartsWith('"') || end <= 0)
            return quoted;
        return quoted[1..end].Replace("\\n", "\n").Replace("\\t", "\t").Replace("\\\"", "\"").Replace("\\\\", "\\");
    }

    /// <summary>
    /// The calls that used a descriptor open on <paramref name="path"/> at the time (from the openat
    /// that returned it to its close): <paramref name="fdArgument"/> says which argument is the
    /// descriptor, per call name, or -1 for calls that take none.
    /// </summary>
    public static List<Syscall> OnFile(IReadOnlyList<Syscall> calls, string path, Func<Syscall, int> fdArgument)
    {
        var open = new HashSet<string>();
        var found = new List<Syscall>();
        foreach (var c in calls)
        {
            if (c.Name == "openat" && c.Succeeded && Unquote(c.Arg(1)) == path)
                open.Add(c.Result);
            else if (c.Name == "close" && c.Args.Count == 1)
                open.Remove(c.Arg(0));
            else if (fdArgument(c) is int i and >= 0 && i < c.Args.Count && open.Contains(c.Arg(i)))
                found.Add(c);
        }
        return found;
    }

    /// <summary>
    /// Where <paramref name="path"/> is mapped shared (the mapping the emulator writes and flushes):
    /// the last successful MAP_SHARED mmap of it, with whether MAP_SYNC was granted.
    /// </summary>
    public static (ulong Address, ulong Length, bool MapSync) SharedMapping(IReadOnlyList<Syscall> calls, string path)
    {
        var map = OnFile(calls, path, c => c.Name == "mmap" ? 4 : -1).LastOrDefault(c => c.Succeeded && c.Arg(3).Contains("MAP_SHARED"))
            ?? throw new InvalidDataException($"the trace shows no shared mapping of {path}");
        return ((ulong)map.ResultValue, map.Number(1), map.Arg(3).Contains("MAP_SYNC"));
    }
}
