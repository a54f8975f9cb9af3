using System.Diagnostics;
using System.Security.Cryptography;
using Vnvdimm.Guest.Dsm;
using Vnvdimm.Guest.Transport;
using Vnvdimm.Testing;

namespace Vnvdimm.Cli.Tests;

/// <summary>
/// Durability as the kernel sees it. A SIGKILL never loses the pages of a MAP_SHARED file, so a crash
/// test stays green with every flush removed; here the real vnvdimm process runs under strace, and the
/// tests check that the flush that makes a write durable (msync of the touched pages, fsync/fdatasync,
/// libpmem's persist through a recording shim) returned before the answer that acknowledges the write
/// was written: a label write before its qtest answer, an incoming migration before its "OK" to the source.
/// </summary>
public sealed class DurabilityTraceTests
{
    private const long Size = 16 << 20;
    private const int LabelSize = 128 << 10;
    private const ulong DsmPage = 0x100000, MarkerAddress = 0x3000;

    private static string[] Machine(string image, string backend) =>
    [
        "-machine", "pc,nvdimm=on,nvdimm-persistence=cpu", "-m", "64M,slots=2,maxmem=1G",
        "-object", $"memory-backend-file,id=m0,mem-path={image},size={Size},{backend}",
        "-device", $"nvdimm,id=nv0,memdev=m0,label-size={LabelSize}",
    ];

    private static readonly string[] LabelSyscalls = ["openat", "close", "mmap", "msync", "fdatasync", "fsync", "write", "sendto"];

    /// <summary>
    /// A guest that, just before each DSM call's port write, has the machine answer a unique marker
    /// (a readq of a value it wrote): the trace then shows which write on the qtest channel answers which call.
    /// </summary>
    private sealed class MarkingGuest(QtestClient machine) : IGuestConnection
    {
        public int Calls { get; private set; }

        public static string Marker(int call) => $"OK 0x{0x5eed000000000000UL | (uint)call:x16}";

        public void Out(ushort port, int size, uint value)
        {
            if (port == DsmClient.Port)
            {
                Calls++;
                Assert.Equal("OK", machine.Command($"writeq 0x{MarkerAddress:x} {Marker(Calls)[3..]}"));
                Assert.Equal(Marker(Calls), machine.Command($"readq 0x{MarkerAddress:x}"));
            }
            machine.Out(port, size, value);
        }

        public uint In(ushort port, int size) => machine.In(port, size);

        public byte[] ReadMemory(ulong address, int length) => machine.ReadMemory(address, length);

        public void WriteMemory(ulong address, ReadOnlySpan<byte> data) => machine.WriteMemory(address, data);
    }

    /// <summary>The marker written before DSM call <paramref name="call"/>, and the next write on the same channel: that call's answer.</summary>
    private static (Syscall Marker, Syscall Answer) AnswerTo(IReadOnlyList<Syscall> calls, int call)
    {
        static bool Sends(Syscall c) => c.Name is "write" or "sendto" && c.Succeeded;
        string marker = MarkingGuest.Marker(call) + "\n";
        var mark = calls.Single(c => Sends(c) && c.Text == marker);
        var answer = calls.Where(c => Sends(c) && c.Arg(0) == mark.Arg(0) && c.Began > mark.Returned).MinBy(c => c.Began)
            ?? throw new InvalidDataException("the trace shows no answer after the marker");
        // The answer to the outl that ran the DSM call.
        Assert.True(answer.Text == "OK\n",
            $"the answer after the marker is {answer}; from the marker on:\n" +
            $"{Dump(calls.Where(c => c.Returned >= mark.Began && c.Began <= answer.Returned))}");
        return (mark, answer);
    }

    /// <summary>Whether the union of <paramref name="ranges"/> covers [from, to).</summary>
    private static bool Covers(IEnumerable<(ulong Start, ulong End)> ranges, ulong from, ulong to)
    {
        foreach (var (start, end) in ranges.OrderBy(r => r.Start))
        {
            if (start > from)
                break;
            from = Math.Max(from, end);
            if (from >= to)
                return true;
        }
        return from >= to;
    }

    private static IEnumerable<(ulong Start, ulong End)> Msynced(IEnumerable<Syscall> calls) =>
        calls.Where(c => c.Name == "msync" && c.Succeeded && c.Arg(2).Contains("MS_SYNC")).Select(c => (c.Number(0), c.Number(0) + c.Number(1)));

    /// <summary>The ranges the shim recorded for <paramref name="function"/> (its log lines, as the trace shows them written).</summary>
    private static IEnumerable<(ulong Start, ulong End)> Persisted(IEnumerable<Syscall> shimRecords, string function) =>
        shimRecords.Select(c => c.Text.Trim().Split(' ')).Where(f => f.Length == 3 && f[0] == function)
            .Select(f => (SyscallTrace.Number(f[1]), SyscallTrace.Number(f[1]) + SyscallTrace.Number(f[2])));

    private static string Dump(IEnumerable<Syscall> calls) => string.Join('\n', calls.Select(c => c.ToString()));

    /// <summary>
    /// Runs a traced machine, makes one DSM Set Label Data call (after a function-0 call) straddling
    /// the first two pages of the label area, and returns the trace, the calls between that call's
    /// marker and its answer, and the host address range the label bytes occupy.
    /// </summary>
    private static (IReadOnlyList<Syscall> Calls, List<Syscall> Before, ulong From, ulong To, bool MapSync) TraceLabelWrite(
        TempFolder dir, string backend, IReadOnlyDictionary<string, string>? environment = null)
    {
        string image = dir.File("nv.img"), log = dir.File("strace.log");
        const uint offset = 4096 - 200;
        byte[] data = RandomNumberGenerator.GetBytes(400);
        using (var machine = QtestClient.Spawn(SyscallTrace.Strace, Machine(image, backend),
            [.. SyscallTrace.Options(log, LabelSyscalls, environment), "dotnet", TestMachines.CliDll]))
        {
            var dsm = new DsmClient(new MarkingGuest(machine), DsmPage);
            Assert.Equal(0x71u, dsm.Functions(1));
            Assert.Equal(0u, dsm.SetLabelData(1, offset, data).Status);
        }
        Assert.True(File.ReadLines(log).LastOrDefault()?.EndsWith("+++ exited with 0 +++") == true,
            "the traced machine did not exit by itself: its trace may be incomplete");
        // The bytes reached the file (through the shared mapping).
        using (var file = File.OpenRead(image))
        {
            var stored = new byte[data.Length];
            file.Position = Size - LabelSize + offset;
            file.ReadExactly(stored);
            Assert.Equal(data, stored);
        }

        var calls = SyscallTrace.Read(log);
        var map = SyscallTrace.SharedMapping(calls, image);
        var (mark, answer) = AnswerTo(calls, 2);
        var before = calls.Where(c => c.Began > mark.Returned && c.Returned < answer.Began).ToList();
        ulong from = map.Address + (ulong)(Size - LabelSize) + offset;
        return (calls, before, from, from + (ulong)data.Length, map.MapSync);
    }

    [SkippableFact]
    public void A_label_write_to_a_shared_file_is_msynced_before_its_answer()
    {
        SyscallTrace.Require();
        using var dir = new TempFolder();
        var (_, before, from, to, _) = TraceLabelWrite(dir, "share=on");
        Assert.True(Covers(Msynced(before), from, to),
            $"no msync(MS_SYNC) of [0x{from:x}, 0x{to:x}) returned before the answer; between the call and its answer:\n{Dump(before)}");
    }

    [SkippableFact]
    public void A_label_write_with_pmem_is_persisted_through_libpmem_before_its_answer()
    {
        SyscallTrace.Require();
        Prerequisite.Require(File.Exists(Prerequisite.LibpmemPath), Prerequisite.LibpmemMissing);
        using var dir = new TempFolder();
        string shimLog = dir.File("pmem-shim.log");
        var (calls, before, from, to, mapSync) = TraceLabelWrite(dir, "share=on,pmem=on", ShimEnvironment(dir, shimLog));

        var records = SyscallTrace.OnFile(calls, shimLog, c => c.Name == "write" ? 0 : -1).Intersect(before).ToList();
        Assert.True(Covers(Persisted(records, "pmem_memcpy_persist"), from, to),
            $"no pmem_memcpy_persist of [0x{from:x}, 0x{to:x}) returned before the answer; between the call and its answer:\n{Dump(before)}");
        // Off DAX the cache flushes only reach the page cache: an msync must follow them, still before the answer.
        if (!mapSync)
        {
            int persisted = records.Max(r => r.Returned);
            Assert.True(Covers(Msynced(before.Where(c => c.Began > persisted)), from, to),
                $"pmem=on without MAP_SYNC: no msync(MS_SYNC) of [0x{from:x}, 0x{to:x}) after libpmem's and before the answer:\n{Dump(before)}");
        }
    }

    [SkippableTheory]
    [InlineData("share=on")]
    [InlineData("share=on,pmem=on")]
    public void An_incoming_migration_is_durable_before_the_destination_confirms(string destinationBackend)
    {
        SyscallTrace.Require();
        bool pmem = destinationBackend.Contains("pmem=on");
        if (pmem)
            Prerequisite.Require(File.Exists(Prerequisite.LibpmemPath), Prerequisite.LibpmemMissing);
        using var dir = new TempFolder();
        string source = dir.File("src.img"), destination = dir.File("dst.img"), log = dir.File("strace.log"), shimLog = dir.File("pmem-shim.log");
        using (var f = new FileStream(source, FileMode.Create))
        {
            f.SetLength(Size);
            foreach (long at in new[] { 1L << 20, 5L << 20, Size - LabelSize })
            {
                f.Position = at;
                f.Write(RandomNumberGenerator.GetBytes(at == Size - LabelSize ? LabelSize : 3 << 20));
            }
        }
        string sock = dir.File("mig.sock");
        string[] qmp(string name) => ["-qmp", $"unix:{dir.File(name + ".qmp")},server=on,wait=off"];

        string[] syscalls =
            ["openat", "close", "mmap", "msync", "fdatasync", "fsync", "pwrite64", "pwritev", "write", "sendto", "bind", "accept", "accept4"];
        var destinationProcess = TestMachines.Launch(SyscallTrace.Strace,
            [.. SyscallTrace.Options(log, syscalls, pmem ? ShimEnvironment(dir, shimLog) : null), "dotnet", TestMachines.CliDll,
             .. Machine(destination, destinationBackend), .. qmp("dst"), "-incoming", $"unix:{sock}"]);
        using var sourceProcess = TestMachines.LaunchVnvdimm([.. Machine(source, "share=on"), .. qmp("src")]);
        try
        {
            using (var dst = QmpClient.ConnectUnix(dir.File("dst.qmp")))
            {
                using (var src = QmpClient.ConnectUnix(dir.File("src.qmp")))
                {
                    src.Execute("{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":0}}");
                    Assert.NotNull(src.Execute($"{{\"execute\":\"migrate\",\"arguments\":{{\"uri\":\"unix:{sock}\"}}}}")["return"]);
                    for (var deadline = DateTime.UtcNow.AddSeconds(60); ; Thread.Sleep(20))
                    {
                        string status = src.Execute("{\"execute\":\"query-migrate\"}")["return"]!["status"]!.GetValue<string>();
                        if (status is "completed" or "failed")
                        {
                            Assert.Equal("completed", status);
                            break;
                        }
                        Assert.True(DateTime.UtcNow < deadline, "the migration did not finish");
                    }
                }
                // The destination stops by itself (quit), so that strace writes its whole log.
                dst.Execute("{\"execute\":\"quit\"}");
            }
            Assert.True(destinationProcess.WaitForExit(30_000), "the traced destination did not exit");
        }
        finally
        {
            if (!destinationProcess.HasExited)
                destinationProcess.Kill(entireProcessTree: true);
            destinationProcess.Dispose();
            sourceProcess.Kill(entireProcessTree: true);
            sourceProcess.WaitForExit();
        }
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(source)), SHA256.HashData(File.ReadAllBytes(destination)));

        var calls = SyscallTrace.Read(log);
        // The confirmation: "OK\n" on the connection accepted from the -incoming socket.
        var bind = calls.Single(c => c.Name == "bind" && c.Succeeded && c.Arg(1).Contains(sock));
        var accept = calls.Single(c => c.Name is "accept" or "accept4" && c.Succeeded && c.Arg(0) == bind.Arg(0) && c.Began > bind.Returned);
        var confirm = calls.First(c => c.Name is "write" or "sendto" && c.Arg(0) == accept.Result && c.Began > accept.Returned);
        Assert.Equal("OK\n", confirm.Text);

        var writes = SyscallTrace.OnFile(calls, destination, c => c.Name is "pwrite64" or "pwritev" or "write" ? 0 : -1);
        Assert.NotEmpty(writes);
        var map = SyscallTrace.SharedMapping(calls, destination);
        var beforeConfirm = calls.Where(c => c.Returned < confirm.Began).ToList();
        var records = pmem ? SyscallTrace.OnFile(calls, shimLog, c => c.Name == "write" ? 0 : -1) : [];
        foreach (var w in writes)
        {
            Assert.True(w.Name == "pwrite64" && w.Returned < confirm.Began, $"unexpected write of the destination file: {w}");
            ulong from = map.Address + w.Number(3), to = from + (ulong)w.ResultValue;
            var after = beforeConfirm.Where(c => c.Began > w.Returned).ToList();
            string chunk = $"the chunk written at file offset 0x{w.Number(3):x} (0x{w.ResultValue:x} bytes, trace line {w.Returned})";
            if (pmem)
                Assert.True(Covers(Persisted(records.Intersect(after), "pmem_persist"), from, to),
                    $"{chunk} was not persisted through libpmem before the destination confirmed ({confirm})");
            if (!pmem || !map.MapSync)
                Assert.True(Covers(Msynced(after), from, to), $"{chunk} was not msynced before the destination confirmed ({confirm})");
        }
        // Punched holes and the file's metadata: an fdatasync (or fsync) of the file after its last write.
        var lastWrite = writes.Max(w => w.Returned);
        Assert.True(SyscallTrace.OnFile(calls, destination, c => c.Name is "fdatasync" or "fsync" ? 0 : -1)
                .Any(s => s.Succeeded && s.Began > lastWrite && s.Returned < confirm.Began),
            $"no fdatasync/fsync of {destination} between its last write and the confirmation ({confirm})");
    }

    /// <summary>
    /// Builds tests/native/pmem-shim.c into <paramref name="dir"/> with gcc and returns the environment
    /// that makes vnvdimm load it (recording into <paramref name="log"/>) instead of libpmem.
    /// </summary>
    private static Dictionary<string, string> ShimEnvironment(TempFolder dir, string log)
    {
        string? gcc = Prerequisite.Program("gcc");
        Prerequisite.Require(gcc is not null, "gcc is not installed (apt-get install gcc libc6-dev): the libpmem shim cannot be built");
        string source = Path.Combine(AppContext.BaseDirectory, "native", "pmem-shim.c"), library = dir.File("pmem-shim.so");
        var build = TestMachines.Run(
            gcc!, ["-shared", "-fPIC", "-O2", "-Wall", "-o", library, source, "-ldl"], "", dir.Path, TimeSpan.FromSeconds(60));
        Assert.True(build.ExitCode == 0, $"building the libpmem shim failed:\n{build.Stdout}{build.Stderr}");
        return new() { ["VNVDIMM_LIBPMEM"] = library, ["VNVDIMM_PMEM_SHIM_LOG"] = log, ["VNVDIMM_PMEM_SHIM_REAL"] = Prerequisite.LibpmemPath };
    }
}
