using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Vnvdimm.Testing;

namespace Vnvdimm.Conformance;

/// <summary>
/// The QMP session that migrates a QEMU machine, played unchanged against a QEMU pair and a vnvdimm
/// pair: the same answers, the same MIGRATION status events, the same run states afterwards, and in
/// both cases a destination backing file equal to the source's.
/// </summary>
public sealed class MigrationConformanceTests
{
    private static string[] Machine(TempFolder dir, string name, string? incoming, bool stopped = true) =>
    [
        "-machine", "pc,nvdimm=on", "-m", "128M,slots=2,maxmem=4G",
        .. stopped ? ["-S"] : Array.Empty<string>(),
        "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File(name + ".img")},size=32M",
        "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K",
        "-qmp", $"unix:{dir.File(name + ".qmp")},server=on,wait=off",
        .. incoming is null ? Array.Empty<string>() : ["-incoming", incoming],
    ];

    private sealed record Outcome(List<string> Answers, List<string> SourceEvents, string SourceState, string DestinationState, bool FilesEqual);

    /// <param name="source">What the source does before it migrates: "cont" (runs), "cont,stop" (paused), "" (never started).</param>
    /// <param name="destinationStopped">Whether the destination has -S: it then stays paused after a running source.</param>
    [SkippableTheory]
    [InlineData("cont", true)]
    [InlineData("cont", false)]
    [InlineData("cont,stop", false)]
    [InlineData("", false)]
    public void The_same_migration_session_migrates_qemu_and_vnvdimm(string source, bool destinationStopped)
    {
        TestMachines.RequireQemu();
        // QEMU as the machines' options say (TestMachines.LaunchQemu adds -S): whether -S is given is the point here.
        var qemu = Play(args => TestMachines.Launch(TestMachines.QemuPath!, ["-display", "none", "-nodefaults", .. args]),
            source, destinationStopped);
        var ours = Play(TestMachines.LaunchVnvdimm, source, destinationStopped);
        Assert.True(qemu.FilesEqual);
        Assert.True(ours.FilesEqual);
        Assert.Equal(qemu.Answers, ours.Answers);
        Assert.Equal(qemu.SourceEvents, ours.SourceEvents);
        Assert.Equal(["setup", "active", "completed"], ours.SourceEvents);
        Assert.Equal((qemu.SourceState, qemu.DestinationState), (ours.SourceState, ours.DestinationState));
    }

    private static Outcome Play(Func<IEnumerable<string>, Process> launch, string sourceCommands, bool destinationStopped)
    {
        using var dir = new TempFolder();
        using (var f = File.Create(dir.File("src.img")))
        {
            f.SetLength(32 << 20);
            f.Position = 1 << 20;
            f.Write(RandomNumberGenerator.GetBytes(4 << 20));
        }
        int port = FreePort();
        // The source starts stopped (-S) and is continued (or stopped again, or never started); the
        // destination runs after the migration only if the source ran and it has no -S (QEMU's globalstate).
        using var destination = launch(Machine(dir, "dst", $"tcp:127.0.0.1:{port}", destinationStopped));
        using var source = launch(Machine(dir, "src", null));
        try
        {
            using var d = QmpClient.ConnectUnix(dir.File("dst.qmp"));
            using var s = QmpClient.ConnectUnix(dir.File("src.qmp"));
            foreach (string command in sourceCommands.Split(',', StringSplitOptions.RemoveEmptyEntries))
                s.Execute($"{{\"execute\":\"{command}\"}}");
            var answers = new List<string>
            {
                s.Execute("{\"execute\":\"migrate-set-capabilities\",\"arguments\":" +
                    "{\"capabilities\":[{\"capability\":\"events\",\"state\":true}]}}").ToJsonString(),
                s.Execute("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":1073741824}}").ToJsonString(),
                s.Execute("{\"execute\":\"query-migrate\"}").ToJsonString(),
                s.Execute($"{{\"execute\":\"migrate\",\"arguments\":{{\"uri\":\"tcp:127.0.0.1:{port}\"}}}}").ToJsonString(),
            };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            JsonNode info;
            while (true)
            {
                info = s.Execute("{\"execute\":\"query-migrate\"}")["return"]!;
                if (info["status"]!.GetValue<string>() is "completed" or "failed" || DateTime.UtcNow > deadline)
                    break;
                Thread.Sleep(20);
            }
            answers.Add(info["status"]!.GetValue<string>());
            while (d.Execute("{\"execute\":\"query-migrate\"}")["return"]!["status"]?.GetValue<string>() is not ("completed" or "failed")
                && DateTime.UtcNow < deadline)
                Thread.Sleep(20);
            string sourceState = s.Execute("{\"execute\":\"query-status\"}")["return"]!["status"]!.GetValue<string>();
            string destinationState = d.Execute("{\"execute\":\"query-status\"}")["return"]!["status"]!.GetValue<string>();
            var events = s.Events.Where(e => e["event"]!.GetValue<string>() == "MIGRATION")
                .Select(e => e["data"]!["status"]!.GetValue<string>()).ToList();
            bool equal = SHA256.HashData(File.ReadAllBytes(dir.File("src.img")))
                .SequenceEqual(SHA256.HashData(File.ReadAllBytes(dir.File("dst.img"))));
            return new Outcome(answers, events, sourceState, destinationState, equal);
        }
        finally
        {
            foreach (var p in new[] { source, destination })
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit();
                }
        }
    }

    /// <summary>A migrate to an address no protocol takes is refused in QEMU's words; the machine is not touched.</summary>
    [SkippableTheory]
    [InlineData("bogus:1")]
    [InlineData("tcp:nohost")]
    [InlineData("")]
    public void A_migrate_to_a_bad_address_is_refused_as_qemu_refuses_it(string uri)
    {
        TestMachines.RequireQemu();
        string Answer(Func<IEnumerable<string>, Process> launch) => Session(launch, "src", _ => null, qmp =>
            qmp.Execute($"{{\"execute\":\"migrate\",\"arguments\":{{\"uri\":\"{uri}\"}}}}").ToJsonString()
            + qmp.Execute("{\"execute\":\"query-migrate\"}").ToJsonString());
        Assert.Equal(Answer(TestMachines.LaunchQemu), Answer(TestMachines.LaunchVnvdimm));
    }

    /// <summary>A destination waiting for its source tells where it listens, as QEMU does (and nothing else).</summary>
    [SkippableTheory]
    [InlineData("tcp")]
    [InlineData("unix")]
    public void A_waiting_destination_reports_where_it_listens_as_qemu_does(string kind)
    {
        TestMachines.RequireQemu();
        string incoming = "";
        string Answer(Func<IEnumerable<string>, Process> launch) => Session(launch, "dst",
            dir => incoming = kind == "tcp" ? $"tcp:127.0.0.1:{FreePort()}" : $"unix:{dir.File("in.sock")}",
            qmp => qmp.Execute("{\"execute\":\"query-migrate\"}").ToJsonString()
                .Replace(incoming[(incoming.LastIndexOf(':') + 1)..], "WHERE"));
        string qemu = Answer(TestMachines.LaunchQemu);
        Assert.Contains("WHERE", qemu);
        Assert.Equal(qemu, Answer(TestMachines.LaunchVnvdimm));
    }

    /// <summary>
    /// Starts one machine (with the -incoming <paramref name="incoming"/> gives, if any), plays <paramref name="play"/> on its
    /// QMP and kills it.
    /// </summary>
    private static string Session(Func<IEnumerable<string>, Process> launch, string name, Func<TempFolder, string?> incoming,
        Func<QmpClient, string> play)
    {
        using var dir = new TempFolder();
        using var machine = launch(Machine(dir, name, incoming(dir)));
        try
        {
            using var qmp = QmpClient.ConnectUnix(dir.File(name + ".qmp"));
            return play(qmp);
        }
        finally
        {
            machine.Kill(entireProcessTree: true);
            machine.WaitForExit();
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
