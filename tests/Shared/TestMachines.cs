using System.Diagnostics;
using System.Security.Cryptography;
using Vnvdimm.Guest.Transport;

namespace Vnvdimm.Testing;

/// <summary>Starts vnvdimm (the CLI built next to the tests) and QEMU the same way, for the same tests.</summary>
public static class TestMachines
{
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "vnvdimm-cli.dll");

    /// <summary>QEMU's x86 system emulator (VNVDIMM_QEMU, else PATH), or null when it is not installed.</summary>
    public static string? QemuPath { get; } = Prerequisite.Program("qemu-system-x86_64", "VNVDIMM_QEMU");

    public const string QemuMissing = "QEMU is not installed (apt-get install qemu-system-x86, or run ./test.sh as root): the oracle is absent";

    /// <summary>Skips the test without QEMU, or fails it where a complete run is required (<see cref="Prerequisite"/>).</summary>
    public static void RequireQemu() => Prerequisite.Require(QemuPath is not null, QemuMissing);

    public static QtestClient StartVnvdimm(IEnumerable<string> args) => QtestClient.Spawn("dotnet", args, [CliDll]);

    /// <summary>The same with additions to the machine's environment.</summary>
    public static QtestClient StartVnvdimm(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment) =>
        QtestClient.Spawn("env", args, [.. environment.Select(e => $"{e.Key}={e.Value}"), "dotnet", CliDll]);

    public static QtestClient StartQemu(IEnumerable<string> args) =>
        QtestClient.Spawn(QemuPath ?? throw new InvalidOperationException(QemuMissing), args);

    public sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    public static Outcome RunVnvdimm(IEnumerable<string> args, string? stdin = null, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null) =>
        Run("dotnet", [CliDll, .. args], stdin, workingDirectory, environment: environment);

    /// <summary>Runs QEMU as a qtest target whose stdin is closed; a machine that starts is stopped after the timeout.</summary>
    public static Outcome RunQemu(IEnumerable<string> args, string? workingDirectory = null) =>
        Run(QemuPath ?? throw new InvalidOperationException(QemuMissing),
            ["-display", "none", "-nodefaults", "-S", "-qtest", "stdio", "-qtest-log", "/dev/null", .. args],
            "", workingDirectory, TimeSpan.FromSeconds(5));

    /// <summary>Kills a machine process that is still running (and what it started) and waits for it.</summary>
    public static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    /// <summary>Starts vnvdimm in the background with <paramref name="args"/>; the caller stops it.</summary>
    public static Process LaunchVnvdimm(IEnumerable<string> args) => Launch("dotnet", [CliDll, .. args]);

    /// <summary>Starts QEMU as a stopped, display-less machine in the background; the caller stops it.</summary>
    public static Process LaunchQemu(IEnumerable<string> args) =>
        Launch(QemuPath ?? throw new InvalidOperationException(QemuMissing), ["-display", "none", "-nodefaults", "-S", .. args]);

    /// <summary>Starts any program in the background, its output drained; the caller stops it.</summary>
    public static Process Launch(string program, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        // Drained so that a chatty machine never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static Outcome Run(string program, IEnumerable<string> args, string? stdin, string? workingDirectory, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null)
                process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited before reading its input (it refused its options): its exit and output are the outcome.
        }
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new Outcome(-1, stdout.Result, stderr.Result);
        }
        return new Outcome(process.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>A scratch folder, removed afterwards, with helpers to make and fingerprint backing files.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = Directory.CreateTempSubdirectory("vnvdimm-test-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Creates a sparse file of <paramref name="size"/> bytes with a recognisable first page.</summary>
    public string Sparse(string name, long size, byte fill = 0xA5)
    {
        string path = File(name);
        using var stream = new FileStream(path, FileMode.Create);
        stream.SetLength(size);
        if (fill != 0)
        {
            var page = new byte[4096];
            Array.Fill(page, fill);
            stream.Write(page);
        }
        return path;
    }

    /// <summary>Names, sizes and content hashes of every file: equal before and after means nothing changed.</summary>
    public IReadOnlyDictionary<string, string> Fingerprint() =>
        Directory.EnumerateFiles(Path).Order().ToDictionary(
            f => System.IO.Path.GetFileName(f),
            f =>
            {
                using var s = System.IO.File.OpenRead(f);
                return $"{s.Length}:{Convert.ToHexString(SHA256.HashData(s))}";
            });

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
