using Vnvdimm.Testing;

namespace Vnvdimm.Conformance;

/// <summary>
/// QEMU's own test harness, libqtest (QEMU 7.2's tests/qtest/libqtest.c, built from Debian's source by
/// tests/libqtest/build.sh), runs our C test program (tests/libqtest/nvdimm-test.c) against vnvdimm and
/// against QEMU: machine probing with -machine none, the NFIT through fw_cfg DMA, DSM label calls,
/// hotplug through qtest_qmp and the GPE bit, SIGTERM ending with status 0. What the program observed
/// in both runs must be the same, byte for byte.
/// </summary>
public sealed class LibqtestTests
{
    private static readonly string Program = Path.Combine(
        Environment.GetEnvironmentVariable("VNVDIMM_LIBQTEST") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "vnvdimm", "libqtest"),
        "nvdimm-test");

    private static string? Missing =>
        !File.Exists(Program) ? $"no libqtest test program at {Program} (run tests/libqtest/build.sh)"
        : TestMachines.QemuPath is null ? TestMachines.QemuMissing
        : null;

    /// <summary>
    /// An executable named as libqtest expects a QEMU binary to be named (it derives the target from
    /// "-system-x86_64"), running <paramref name="body"/>.
    /// </summary>
    private static string Binary(TempFolder dir, string kind, string body)
    {
        string folder = Directory.CreateDirectory(dir.File(kind)).FullName;
        string path = Path.Combine(folder, "qemu-system-x86_64");
        File.WriteAllText(path, "#!/usr/bin/env bash\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static (TestMachines.Outcome Outcome, string[] Facts) Run(TempFolder dir, string binary, string name)
    {
        string facts = dir.File($"{name}.facts");
        var outcome = TestMachines.Run(Program, [], "", dir.Path, TimeSpan.FromMinutes(3),
            new Dictionary<string, string> { ["QTEST_QEMU_BINARY"] = binary, ["NVDIMM_FACTS"] = facts });
        return (outcome, File.Exists(facts) ? File.ReadAllLines(facts) : []);
    }

    [SkippableFact]
    public void Libqtest_runs_the_nvdimm_test_against_vnvdimm_and_qemu_with_the_same_observations()
    {
        Prerequisite.Require(Missing);
        using var dir = new TempFolder();
        string vnvdimm = Binary(dir, "vnvdimm", $"exec dotnet '{TestMachines.CliDll}' \"$@\"");
        // Debian's QEMU has no qtest accelerator; its default one with stopped CPUs serves qtest the same way.
        string qemu = Binary(dir, "qemu", $$"""
            args=()
            while (($#)); do
              if [[ $1 == -accel && ${2:-} == qtest ]]; then shift 2; continue; fi
              args+=("$1"); shift
            done
            exec '{{TestMachines.QemuPath}}' -S "${args[@]}"
            """);

        var (ours, ourFacts) = Run(dir, vnvdimm, "vnvdimm");
        Assert.True(ours.ExitCode == 0, $"against vnvdimm:\n{ours.Stdout}\n{ours.Stderr}");
        foreach (string test in new[] { "probe", "nfit", "dsm-labels", "hotplug" })
            Assert.StartsWith("ok ", ours.Stdout.Split('\n').Single(l => l.EndsWith($"/nvdimm/{test}", StringComparison.Ordinal)));
        Assert.DoesNotContain("not ok", ours.Stdout);

        var (theirs, qemuFacts) = Run(dir, qemu, "qemu");
        Assert.True(theirs.ExitCode == 0, $"against QEMU:\n{theirs.Stdout}\n{theirs.Stderr}");
        Assert.Equal(["nfit", "dsm-query", "dsm-label-size", "dsm-set-label", "dsm-get-label", "dsm-no-device", "sci-after-plug", "gpe0-status",
            "hotplugged-addr", "hotplugged-slot", "hotplugged-size"], qemuFacts.Select(f => f.Split(' ')[0]));
        Assert.Equal(qemuFacts, ourFacts);
    }

    /// <summary>
    /// libqtest's qtest_init_with_serial listens on a socket and waits for the machine's serial port to
    /// connect: "-chardev socket,path=P,id=s0 -serial chardev:s0". Both machines must connect at start
    /// and keep serving while the harness writes to the port.
    /// </summary>
    [SkippableTheory]
    [InlineData("qemu")]
    [InlineData("vnvdimm")]
    public void A_serial_port_connects_to_the_harness_socket_at_start(string machine)
    {
        if (machine == "qemu")
            TestMachines.RequireQemu();
        using var dir = new TempFolder();
        using var listener = new System.Net.Sockets.Socket(
            System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(dir.File("serial.sock")));
        listener.Listen(1);
        string[] args = ["-machine", "pc", "-chardev", $"socket,path={dir.File("serial.sock")},id=s0", "-serial", "chardev:s0"];
        using var qtest = machine == "qemu" ? TestMachines.StartQemu(args) : TestMachines.StartVnvdimm(args);
        Assert.Equal("OK little", qtest.Command("endianness"));
        var accept = listener.AcceptAsync();
        Assert.True(accept.Wait(TimeSpan.FromSeconds(10)), "the serial port never connected");
        using var serial = accept.Result;
        serial.Send(new byte[64 << 10]); // a harness typing at a console nobody reads
        Assert.Equal("OK little", qtest.Command("endianness"));
    }
}
