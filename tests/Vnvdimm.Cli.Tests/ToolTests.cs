using System.Text.Json.Nodes;
using Vnvdimm.Testing;

namespace Vnvdimm.Cli.Tests;

/// <summary>The guest, label and check tools as processes.</summary>
public sealed class ToolTests
{
    private static string[] Machine(TempFolder dir) =>
    [
        "--", "-machine", "pc,nvdimm=on,nvdimm-persistence=mem-ctrl", "-m", "256M,slots=2,maxmem=4G",
        "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("nv0.img")},size=130M",
        "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K",
    ];

    private static TestMachines.Outcome Tool(params string[] args) => TestMachines.RunVnvdimm(args);

    [Fact]
    public void Guest_tools_manage_namespaces_and_the_offline_tool_sees_the_same_labels()
    {
        using var dir = new TempFolder();
        var init = Tool(["guest", "init-labels", .. Machine(dir)]); // one DIMM with labels: no --dimm needed
        Assert.Equal(0, init.ExitCode);
        Assert.Contains("nmem0: labels v1.2 initialised, 510 slots", init.Stdout);

        string uuid = "a8b6e2a0-5d3c-4f0e-9a51-2f7e1c0d9b11";
        Assert.Equal(0, Tool(["guest", "create-namespace", "--size", "64M", "--name", "db", "--uuid", uuid, .. Machine(dir)]).ExitCode);

        var list = Tool(["guest", "list", "--json", .. Machine(dir)]);
        Assert.Equal(0, list.ExitCode);
        var json = JsonNode.Parse(list.Stdout)!;
        Assert.Equal("8680-56341200", json["dimms"]![0]!["id"]!.GetValue<string>());
        var region = json["regions"]![0]!;
        Assert.Equal("memory_controller", region["persistence_domain"]!.GetValue<string>());
        var ns = region["namespaces"]![0]!;
        Assert.Equal((uuid, "db", 64UL << 20, "raw"),
            (ns["uuid"]!.GetValue<string>(), ns["name"]!.GetValue<string>(), ns["size"]!.GetValue<ulong>(), ns["mode"]!.GetValue<string>()));

        var dump = Tool(["label", "dump", dir.File("nv0.img"), "--label-size", "128K", "--json"]);
        Assert.Equal(0, dump.ExitCode);
        var label = JsonNode.Parse(dump.Stdout)![0]!["labels"]![0]!;
        Assert.Equal(uuid, label["uuid"]!.GetValue<string>());

        Assert.Equal(0, Tool(["guest", "destroy-namespace", "--uuid", uuid, .. Machine(dir)]).ExitCode);
        Assert.Contains("0 label(s)", Tool(["label", "check", dir.File("nv0.img"), "--label-size", "128K"]).Stdout);
    }

    [Fact]
    public void A_label_size_no_label_area_can_have_is_refused_and_the_file_left_alone()
    {
        using var dir = new TempFolder();
        using (var f = File.OpenWrite(dir.File("nv0.img")))
            f.SetLength(130L << 20);
        var before = File.GetLastWriteTimeUtc(dir.File("nv0.img"));
        // 4G + 128K cut to 32 bits was a 128 KiB label area: init wrote labels where none were asked for.
        var init = Tool("label", "init", dir.File("nv0.img"), "--label-size", "4194432K");
        Assert.Equal(1, init.ExitCode);
        Assert.Contains("--label-size 0x100020000: a label area is at most 0xffffffff bytes", init.Stderr);
        Assert.Equal(before, File.GetLastWriteTimeUtc(dir.File("nv0.img")));
        Assert.Equal(-1, File.ReadAllBytes(dir.File("nv0.img")).AsSpan().IndexOfAnyExcept((byte)0));
    }

    [Fact]
    public void Tools_refuse_a_fifo_or_a_folder_at_once_instead_of_waiting_for_a_writer()
    {
        using var dir = new TempFolder();
        string fifo = dir.File("ff");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo))
            mkfifo.WaitForExit();
        foreach (string[] command in new[] { ["dump"], ["check"], ["init"], new[] { "create-namespace", "--size", "16M" } })
        {
            var label = Tool(["label", command[0], fifo, "--label-size", "128K", .. command[1..]]);
            Assert.Equal(1, label.ExitCode);
            Assert.Contains($"{fifo}: not a regular file", label.Stderr);
            Assert.DoesNotContain("   at ", label.Stderr);
        }
        Assert.Contains("is a directory", Tool("label", "dump", dir.Path, "--label-size", "128K").Stderr);
        foreach (string path in new[] { fifo, dir.Path })
        {
            var check = Tool("check", $"memory-backend-file,id=m0,mem-path={path},size=64M,share=on,pmem=on");
            Assert.Equal(2, check.ExitCode);
            Assert.Contains("cannot back guest memory", check.Stdout);
        }
    }

    [Fact]
    public void Offline_namespaces_carry_the_cookie_the_guest_checks()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("nv0.img"), []);
        using (var f = File.OpenWrite(dir.File("nv0.img")))
            f.SetLength(130L << 20);
        Assert.Equal(0, Tool("label", "init", dir.File("nv0.img"), "--label-size", "128K", "--version", "1.1").ExitCode);
        var created = Tool("label", "create-namespace", dir.File("nv0.img"), "--label-size", "128K", "--size", "32M", "--name", "offline");
        Assert.Equal(0, created.ExitCode);

        var list = Tool(["guest", "list", "--json", .. Machine(dir)]);
        Assert.Equal(0, list.ExitCode);
        Assert.DoesNotContain("label_problems", list.Stdout);
        Assert.Equal("offline", JsonNode.Parse(list.Stdout)!["regions"]![0]!["namespaces"]![0]!["name"]!.GetValue<string>());

        // The wrong slot gives another DIMM identity, hence another cookie: the guest ignores the label and says why.
        Assert.Equal(0, Tool("label", "create-namespace", dir.File("nv0.img"), "--label-size", "128K", "--size", "16M", "--slot", "1").ExitCode);
        var mixed = Tool(["guest", "list", "--json", .. Machine(dir)]);
        Assert.Equal(1, mixed.ExitCode);
        Assert.Contains("interleave-set cookie", mixed.Stdout);
    }

    [Fact]
    public void Label_check_reports_corruption_and_changes_nothing()
    {
        using var dir = new TempFolder();
        string file = dir.File("nv0.img");
        using (var f = File.OpenWrite(file))
            f.SetLength(4L << 20);
        Assert.Equal(0, Tool("label", "init", file, "--label-size", "128K").ExitCode);
        // Flip a byte in each index block.
        using (var f = new FileStream(file, FileMode.Open))
        {
            foreach (long at in new[] { (4L << 20) - (128 << 10) + 30, (4L << 20) - (128 << 10) + 256 + 30 })
            {
                f.Position = at;
                int b = f.ReadByte();
                f.Position = at;
                f.WriteByte((byte)(b ^ 1));
            }
        }
        byte[] before = File.ReadAllBytes(file);
        var check = Tool("label", "check", file, "--label-size", "128K");
        Assert.Equal(1, check.ExitCode);
        Assert.Contains("both index blocks invalid", check.Stdout);
        var create = Tool("label", "create-namespace", file, "--label-size", "128K", "--size", "1M");
        Assert.Equal(1, create.ExitCode);
        Assert.Contains("unreadable", create.Stderr);
        Assert.Equal(before, File.ReadAllBytes(file));
    }

    /// <summary>
    /// A file nobody may write can only be a readonly=on backend, its NVDIMM unarmed: the guest sees a read-only region
    /// and create-namespace refuses it. Offline, on the file itself, the same refusal, with nothing written: root may
    /// open the file for writing whatever its mode, so the refusal is the only thing that keeps it unchanged.
    /// </summary>
    [Fact]
    public void Create_namespace_refuses_a_read_only_region_offline_as_the_guest_does()
    {
        using var dir = new TempFolder();
        string file = dir.File("nv0.img");
        using (var f = File.OpenWrite(file))
            f.SetLength(20L << 20);
        Assert.Equal(0, Tool("label", "init", file, "--label-size", "128K").ExitCode);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var longAgo = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc); // any write would move it to now
        File.SetLastWriteTimeUtc(file, longAgo);
        byte[] before = File.ReadAllBytes(file);

        var guest = Tool("guest", "create-namespace", "--size", "16M", "--", "-machine", "pc,nvdimm=on", "-m", "256M,slots=2,maxmem=4G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={file},size=20M,readonly=on",
            "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K,unarmed=on");
        Assert.Equal(1, guest.ExitCode);
        Assert.Contains("region0: read-only (an unarmed DIMM), ineligible for namespace creation", guest.Stderr);

        var offline = Tool("label", "create-namespace", file, "--label-size", "128K", "--size", "16M");
        Assert.Equal(1, offline.ExitCode);
        Assert.Contains($"{file}: read-only (no write permission), ineligible for namespace creation", offline.Stderr);
        Assert.Equal("", offline.Stdout);
        // Every other command that writes labels refuses it too, as the guest's refuse an unarmed DIMM.
        foreach (string[] writer in new[]
        {
            new[] { "label", "init", file, "--label-size", "128K", "--force" },
            ["label", "destroy-namespace", file, "--label-size", "128K", "--uuid", Guid.NewGuid().ToString()],
        })
        {
            var refused = Tool(writer);
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains($"{file}: read-only (no write permission): its labels are not changed", refused.Stderr);
        }
        Assert.Equal(before, File.ReadAllBytes(file));
        Assert.Equal(longAgo, File.GetLastWriteTimeUtc(file));

        // Writable again, the same command goes through: the refusal was the file's mode, nothing else.
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(0, Tool("label", "create-namespace", file, "--label-size", "128K", "--size", "16M").ExitCode);
    }

    [Fact]
    public void Check_explains_why_persistence_is_not_guaranteed_and_creates_nothing()
    {
        using var dir = new TempFolder();
        string missing = dir.File("new.img");
        var ram = Tool("check", "-object", "memory-backend-ram,id=r0,size=1G", "--json");
        Assert.Equal(2, ram.ExitCode);
        Assert.False(JsonNode.Parse(ram.Stdout)![0]!["guaranteed"]!.GetValue<bool>());

        var file = Tool("check", $"memory-backend-file,id=m0,mem-path={missing},size=1G");
        Assert.Equal(2, file.ExitCode);
        Assert.Contains("NOT guaranteed", file.Stdout);
        Assert.Contains("fix: add share=on", file.Stdout);
        Assert.Contains("fix: add pmem=on", file.Stdout);
        Assert.False(File.Exists(missing));

        File.WriteAllBytes(dir.File("page-cache.img"), new byte[8192]);
        var pageCache = Tool("check", $"memory-backend-file,id=m1,mem-path={dir.File("page-cache.img")},size=8K,share=on,pmem=on");
        Assert.Equal(2, pageCache.ExitCode);
        Assert.Contains("refuses MAP_SYNC", pageCache.Stdout); // no DAX on this machine's file systems
        Assert.Contains("yes share=on", pageCache.Stdout);

        var bad = Tool("check", "memory-backend-file,id=m2,size=1G");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("Parameter 'mem-path' is missing", bad.Stderr);
    }

    /// <summary>What a newcomer meets first: the program's name, the tools listed, errors in plain words.</summary>
    [Fact]
    public void Tools_speak_as_vnvdimm_in_plain_words()
    {
        var help = Tool("guest", "--help");
        Assert.Contains("vnvdimm guest [command] [options]", help.Stdout);
        Assert.DoesNotContain("vnvdimm-cli", help.Stdout);

        var usage = Tool("-h");
        foreach (string tool in new[] { "vnvdimm guest ...", "vnvdimm label ...", "vnvdimm check ...", "vnvdimm layout -- OPTIONS" })
            Assert.Contains(tool, usage.Stdout);

        using var dir = new TempFolder();
        foreach (string socket in new[] { $"unix:{dir.File("none.sock")}", dir.File("none.sock") })
        {
            var missing = Tool("guest", "list", "--qtest", socket);
            Assert.Equal(1, missing.ExitCode);
            Assert.Contains($"cannot connect to the qtest socket {socket}: No such file or directory", missing.Stderr);
        }

        // A socket that accepts and never answers (not a qtest socket) fails the tool after --timeout, not never.
        using (var silent = new System.Net.Sockets.Socket(
            System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
        {
            silent.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(dir.File("silent.sock")));
            silent.Listen(1);
            var hung = Tool("guest", "list", "--qtest", dir.File("silent.sock"), "--timeout", "1");
            Assert.Equal(1, hung.ExitCode);
            Assert.Contains("in time: is this a qtest socket", hung.Stderr);
        }

        // Nor does one that chatters without end: IRQ lines, or one endless line.
        foreach (string chatter in new[] { "IRQ raise 9\n", "AAAAAAAA" })
        {
            using var noisy = new System.Net.Sockets.Socket(
                System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            string path = dir.File($"noisy{chatter.Length}.sock");
            noisy.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            noisy.Listen(1);
            var flood = new Thread(() =>
            {
                using var peer = noisy.Accept();
                var block = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(chatter, 8192 / chatter.Length)));
                try
                {
                    while (true)
                        peer.Send(block);
                }
                catch (System.Net.Sockets.SocketException)
                {
                    // the tool gave up and closed: done
                }
            }) { IsBackground = true };
            flood.Start();
            var flooded = Tool("guest", "list", "--qtest", path, "--timeout", "1");
            Assert.Equal(1, flooded.ExitCode);
            Assert.Matches("is this a qtest socket|not a qtest machine", flooded.Stderr);
            Assert.True(flood.Join(TimeSpan.FromSeconds(10)));
        }
        Assert.Contains("not a usable socket path", Tool("guest", "list", "--qtest", new string('x', 200)).Stderr);
        Assert.Contains("give the socket's path", Tool("guest", "list", "--qtest", "").Stderr);

        var uuid = Tool("label", "destroy-namespace", dir.File("nv.img"), "--label-size", "128K", "--uuid", "notauuid");
        Assert.NotEqual(0, uuid.ExitCode);
        Assert.Contains("'notauuid' is not a UUID", uuid.Stdout + uuid.Stderr);
        Assert.DoesNotContain("System.", uuid.Stdout + uuid.Stderr);
        Assert.False(File.Exists(dir.File("nv.img"))); // a refused command creates nothing
    }

    [Fact]
    public void Init_labels_asks_which_dimm_when_several_have_labels()
    {
        using var dir = new TempFolder();
        var two = Tool([.. "guest init-labels".Split(' '), .. Machine(dir),
            "-object", $"memory-backend-file,id=m1,share=on,mem-path={dir.File("nv1.img")},size=130M",
            "-device", "nvdimm,id=nv1,memdev=m1,label-size=128K"]);
        Assert.Equal(1, two.ExitCode);
        Assert.Contains("2 DIMMs have a label area (nmem0, nmem1): say which with --dimm", two.Stderr);
    }
}
