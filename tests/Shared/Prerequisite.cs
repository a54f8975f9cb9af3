using System.Diagnostics.CodeAnalysis;

namespace Vnvdimm.Testing;

/// <summary>
/// What a test needs from the host to check anything: QEMU (the oracle), ACPICA's iasl and acpiexec,
/// libpmem, the Linux test guest, strace, a C compiler. Every test that cannot run without one of them
/// asks here. On a developer's machine a missing one skips the test with a message that says what to
/// install; where the environment asks for a complete run — <c>CI=true</c> (or 1), or
/// <c>VNVDIMM_REQUIRE_ORACLES=1</c> — the test fails with the same message instead, so that a green
/// CI run has checked everything it reports.
/// </summary>
public static class Prerequisite
{
    /// <summary>Where Debian's libpmem1 puts the library.</summary>
    public const string LibpmemPath = "/usr/lib/x86_64-linux-gnu/libpmem.so.1";

    public const string LibpmemMissing = "libpmem1 is not installed (apt-get install libpmem1)";

    /// <summary>Whether a missing prerequisite fails the test rather than skipping it.</summary>
    public static bool Required { get; } =
        Environment.GetEnvironmentVariable("CI") is string ci && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1")
        || Environment.GetEnvironmentVariable("VNVDIMM_REQUIRE_ORACLES") == "1";

    /// <summary>Skips (or, when <see cref="Required"/>, fails) the test unless <paramref name="available"/>.</summary>
    public static void Require(bool available, string missing)
    {
        if (!available)
            Missing(missing);
    }

    /// <summary>Skips (or fails) the test when <paramref name="missing"/> says what is missing; null means nothing is.</summary>
    public static void Require(string? missing)
    {
        if (missing is not null)
            Missing(missing);
    }

    [DoesNotReturn]
    public static void Missing(string why)
    {
        if (Required)
            Assert.Fail($"{why} [a complete run was asked for (CI=true or VNVDIMM_REQUIRE_ORACLES=1): this test may not skip]");
        throw new SkipException(why);
    }

    /// <summary>
    /// A program's path: the one <paramref name="overrideVariable"/> names when that is set (a path that
    /// does not exist makes the program missing, which is how a run without it is tried), else the first
    /// <paramref name="name"/> on PATH; null when there is none.
    /// </summary>
    public static string? Program(string name, string? overrideVariable = null)
    {
        if (overrideVariable is not null && Environment.GetEnvironmentVariable(overrideVariable) is { Length: > 0 } chosen)
            return File.Exists(chosen) ? chosen : null;
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }
}
