using System.Text.Json.Nodes;
using Vnvdimm.Testing;

namespace Vnvdimm.Cli.Tests;

/// <summary>
/// <c>vnvdimm layout</c> as a process: its numbers, each warning on a file whose labels another
/// configuration wrote, its exit statuses, and that it creates and changes nothing. (Its numbers
/// against QEMU's NFIT: LayoutConformanceTests; against Linux-written labels: LinuxGuestTests.)
/// </summary>
public sealed class LayoutTests
{
    private const ulong M = 1UL << 20;

    private static TestMachines.Outcome Layout(params string[] args) => TestMachines.RunVnvdimm(["layout", "--json", "--", .. args]);

    private static string[] Machine(TempFolder dir, string backend = "size=200M", string device = "label-size=128K") =>
    [
        "-machine", "pc,nvdimm=on", "-m", "256M,slots=4,maxmem=4G",
        "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("nv0.img")},{backend}",
        "-device", $"nvdimm,id=nv0,memdev=m0,{device}",
    ];

    /// <summary>A 200 MiB file with a v1.2 label set (128 KiB area) holding one 192 MiB namespace, written offline for slot 0.</summary>
    private static TempFolder WithLabels()
    {
        var dir = new TempFolder();
        dir.Sparse("nv0.img", 200L << 20, fill: 0);
        var file = dir.File("nv0.img");
        Assert.Equal(0, TestMachines.RunVnvdimm(["label", "init", file, "--label-size", "128K"]).ExitCode);
        Assert.Equal(0, TestMachines.RunVnvdimm(
            ["label", "create-namespace", file, "--label-size", "128K", "--size", "192M", "--name", "db"]).ExitCode);
        return dir;
    }

    private static JsonNode Nvdimm(TestMachines.Outcome outcome) => JsonNode.Parse(outcome.Stdout)!["nvdimms"]![0]!;

    private static IEnumerable<string> Kinds(JsonNode nvdimm) => nvdimm["warnings"]!.AsArray().Select(w => w!["kind"]!.GetValue<string>());

    [Fact]
    public void The_layout_of_a_good_configuration_has_no_warning_and_creates_nothing()
    {
        using var dir = WithLabels();
        var before = dir.Fingerprint();
        var outcome = Layout([.. Machine(dir), "-object", $"memory-backend-file,id=m1,share=on,mem-path={dir.File("new.img")},size=64M",
            "-device", "nvdimm,id=nv1,memdev=m1,label-size=256K,slot=3"]);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(before, dir.Fingerprint());
        Assert.False(File.Exists(dir.File("new.img"))); // a start would create it; the planner does not

        var nvdimms = JsonNode.Parse(outcome.Stdout)!["nvdimms"]!.AsArray();
        var nv0 = nvdimms[0]!;
        Assert.Equal((0, 1u, "nmem0", "region0"),
            (nv0["slot"]!.GetValue<int>(), nv0["nfit_handle"]!.GetValue<uint>(), nv0["dev"]!.GetValue<string>(), nv0["region"]!.GetValue<string>()));
        Assert.Equal((1UL << 32, 200 * M - 128 * 1024), (nv0["address"]!.GetValue<ulong>(), nv0["pmem_size"]!.GetValue<ulong>()));
        Assert.Equal((200 * M - 128 * 1024, 128UL * 1024), (nv0["label_offset"]!.GetValue<ulong>(), nv0["label_size"]!.GetValue<ulong>()));
        Assert.Equal(("labels", "1.2", "db", 192 * M), (nv0["label_area"]!.GetValue<string>(), nv0["label_version"]!.GetValue<string>(),
            nv0["namespaces"]![0]!["name"]!.GetValue<string>(), nv0["namespaces"]![0]!["size"]!.GetValue<ulong>()));

        var nv1 = nvdimms[1]!;
        Assert.Equal((3, 4u, "empty"), (nv1["slot"]!.GetValue<int>(), nv1["nfit_handle"]!.GetValue<uint>(), nv1["label_area"]!.GetValue<string>()));
        Assert.Equal((1UL << 32) + 200 * M - 128 * 1024, nv1["address"]!.GetValue<ulong>()); // next to nv0, page-aligned
        Assert.Null(nv1["file_size"]);
    }

    public static TheoryData<string, string, string, string> Changes() => new()
    {
        // backend options, device options, the warning expected, a phrase of its message
        { "size=200M", "label-size=256K", "labels-elsewhere", "to keep them use label-size=131072" },
        { "size=200M", "label-size=256K", "label-area-holds-data", "holds data that is not a label index" },
        { "size=200M,align=128M", "label-size=128K", "namespace-trimmed", "its last 0x4000000 bytes are cut off" },
        { "size=200M", "label-size=128K,slot=2", "labels-for-other-slot", "written for slot 0" },
        { "size=100M", "label-size=128K", "file-larger-than-size", "the guest never sees the file's last 0x6400000 bytes" },
        { "size=100M", "label-size=128K", "labels-elsewhere", "label-size=131072 and size=209715200" },
        { "size=200M", "unarmed=off", "labels-ignored", "label-size=0: the guest sees those bytes as data" },
        { "size=200M,share=off", "label-size=128K", "writes-discarded", "never reach" },
        { "size=200M,discard-data=on", "label-size=128K", "data-discarded", "is thrown away when the machine exits" },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void Options_that_would_hide_move_or_cut_off_labels_are_warned_about(string backend, string device, string kind, string phrase)
    {
        using var dir = WithLabels();
        var before = dir.Fingerprint();
        var outcome = Layout(Machine(dir, backend, device));
        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal(before, dir.Fingerprint());
        var warning = Nvdimm(outcome)["warnings"]!.AsArray().FirstOrDefault(w => w!["kind"]!.GetValue<string>() == kind);
        Assert.True(warning is not null, outcome.Stdout);
        Assert.Contains(phrase, warning["message"]!.GetValue<string>());
    }

    [Fact]
    public void Data_where_the_label_area_would_go_is_warned_about()
    {
        using var dir = new TempFolder();
        dir.Sparse("nv0.img", 200L << 20, fill: 0);
        using (var file = File.OpenWrite(dir.File("nv0.img")))
        {
            file.Position = (200L << 20) - 4096; // a filesystem that used the whole device, as label-size=0 allowed
            file.Write(Enumerable.Repeat((byte)0x5a, 4096).ToArray());
        }
        var outcome = Layout(Machine(dir));
        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal("data", Nvdimm(outcome)["label_area"]!.GetValue<string>());
        Assert.Contains("label-area-holds-data", Kinds(Nvdimm(outcome)));

        Assert.Equal(0, Layout(Machine(dir, device: "unarmed=off")).ExitCode); // without a label area, nothing is at risk
    }

    [Fact]
    public void A_command_line_that_would_not_start_gets_the_machines_complaint_and_status_2()
    {
        using var dir = new TempFolder();
        var outcome = Layout(Machine(dir, device: "label-size=64K"));
        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("Property 'nvdimm.label-size' (0x10000) is required at least 0x20000", outcome.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));

        foreach (var (args, phrase) in new (string[], string)[]
        {
            ([.. Machine(dir), "-device", "pc-dimm,id=d0,memdev=m1"], "vnvdimm does not model: the NVDIMMs' places cannot be predicted"),
            ([.. Machine(dir), "-readconfig", "vm.cfg"], "-readconfig: may change memory devices"),
            (["-machine", "pc-i440fx-2.1,nvdimm=on", .. Machine(dir)[2..]], "machine types before 2.4"),
        })
        {
            var refused = Layout(args);
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains(phrase, refused.Stderr);
        }
    }

    [Fact]
    public void Two_nvdimms_on_one_file_are_warned_about()
    {
        using var dir = WithLabels();
        var outcome = Layout([.. Machine(dir), "-object", $"memory-backend-file,id=m1,share=on,mem-path={dir.File("nv0.img")},size=200M",
            "-device", "nvdimm,id=nv1,memdev=m1,label-size=128K"]);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("file-shared", Kinds(Nvdimm(outcome)));
    }

    [Fact]
    public void What_a_start_would_refuse_the_planner_refuses_with_status_2()
    {
        using var dir = WithLabels();
        Directory.CreateDirectory(dir.File("folder"));
        File.CreateSymbolicLink(dir.File("dangling.img"), dir.File("nowhere/x.img"));
        foreach (var (args, phrase) in new (string[], string)[]
        {
            (Machine(dir, $"size=200M,mem-path={dir.File("folder")}"), "Is a directory"),
            (Machine(dir, $"size=200M,mem-path={dir.File("dangling.img")}"), "No such file or directory"),
            ([.. Machine(dir), "-bogus"], "-bogus: invalid option"),
            (["-machine", "pc,nvdimm=on,max-ram-below-4g=1G", .. Machine(dir)[2..]], "max-ram-below-4g=: the layout planner does not model"),
            (["-cpu", "qemu64,phys-bits=48", "-machine", "pc,nvdimm=on", "-m", "2G,slots=4,maxmem=1005G"], "depends on"),
            (["-machine", "pc,nvdimm=on,memory-backend=nope", "-m", "slots=2,maxmem=4G"], "Memory backend 'nope' not found"),
            ([], "give the machine's command line"),
        })
        {
            var refused = TestMachines.RunVnvdimm(["layout", "--", .. args]);
            Assert.True(refused.ExitCode == 2, $"{string.Join(' ', args)}: exit {refused.ExitCode}\n{refused.Stdout}{refused.Stderr}");
            Assert.Contains(phrase, refused.Stderr);
            Assert.DoesNotContain("System.", refused.Stderr);
        }
        Assert.False(Directory.Exists(dir.File("nowhere")));
    }

    [Fact]
    public void Ram_from_a_memory_backend_moves_the_nvdimms_as_qemu_does()
    {
        // libvirt's way: -machine memory-backend=pc.ram; without an -m size, RAM is the backend's size.
        using var dir = WithLabels();
        var outcome = Layout(["kvm", "-machine", "pc,nvdimm=on,memory-backend=r0", "-object", "memory-backend-ram,id=r0,size=6G",
            "-m", "slots=4,maxmem=16G",
            "-object", $"memory-backend-file,id=m0,share=on,mem-path={dir.File("nv0.img")},size=200M",
            "-device", "nvdimm,id=nv0,memdev=m0,label-size=128K"]);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(0x1c0000000UL, Nvdimm(outcome)["address"]!.GetValue<ulong>()); // QEMU 7.2's address for this line
    }

    [Fact]
    public void A_libvirt_command_line_is_read_with_what_it_cannot_change_skipped()
    {
        using var dir = WithLabels();
        string[] libvirt =
        [
            "/usr/bin/qemu-system-x86_64", "-name", "guest=vm1,debug-threads=on", "-S",
            "-object", "{\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":\"/var/lib/libvirt/qemu/master-key.aes\"}",
            "-machine", "pc-i440fx-6.2,usb=off,dump-guest-core=off,memory-backend=pc.ram,nvdimm=on", "-accel", "kvm", "-cpu", "host,migratable=on",
            "-m", "size=262144k,slots=16,maxmem=4194304k", "-overcommit", "mem-lock=off", "-smp", "2,sockets=2,cores=1,threads=1",
            "-object", "{\"qom-type\":\"memory-backend-ram\",\"id\":\"pc.ram\",\"size\":268435456}",
            "-uuid", "9a1c1d06-5d0b-4c2b-9b5e-2a0b3c4d5e6f", "-no-user-config", "-nodefaults",
            "-chardev", "socket,id=charmonitor,fd=31,server=on,wait=off", "-mon", "chardev=charmonitor,id=monitor,mode=control",
            "-rtc", "base=utc", "-no-shutdown", "-boot", "strict=on",
            "-device", "{\"driver\":\"piix3-usb-uhci\",\"id\":\"usb\",\"bus\":\"pci.0\",\"addr\":\"0x1.0x2\"}",
            "-object", $"{{\"qom-type\":\"memory-backend-file\",\"id\":\"memnvdimm0\",\"mem-path\":\"{dir.File("nv0.img")}\"," +
                $"\"share\":true,\"prealloc\":true,\"size\":{200 * M},\"host-nodes\":[0],\"policy\":\"bind\"}}",
            "-device", "{\"driver\":\"nvdimm\",\"node\":0,\"label-size\":131072,\"memdev\":\"memnvdimm0\",\"id\":\"nvdimm0\",\"slot\":0}",
            "-blockdev", "{\"driver\":\"file\",\"filename\":\"/var/lib/libvirt/images/vm1.qcow2\",\"node-name\":\"libvirt-1-storage\"}",
            "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny", "-msg", "timestamp=on",
        ];
        var outcome = Layout(libvirt);
        Assert.Equal(0, outcome.ExitCode);
        var report = JsonNode.Parse(outcome.Stdout)!;
        var nv = report["nvdimms"]![0]!;
        Assert.Equal(("nvdimm0", 1UL << 32, "labels"),
            (nv["id"]!.GetValue<string>(), nv["address"]!.GetValue<ulong>(), nv["label_area"]!.GetValue<string>()));
        var skipped = report["skipped"]!.AsArray().Select(s => s!.GetValue<string>()).ToList();
        Assert.Contains("-smp 2,sockets=2,cores=1,threads=1", skipped);
        Assert.Contains("-no-user-config", skipped);
        Assert.Contains(skipped, s => s.Contains("piix3-usb-uhci", StringComparison.Ordinal));
        Assert.Contains(report["notes"]!.AsArray(), n => n!.GetValue<string>().Contains("pc-i440fx-6.2", StringComparison.Ordinal));

        var hidden = Layout([.. Machine(dir), "-no-acpi"]);
        Assert.Equal(1, hidden.ExitCode);
        Assert.Contains("guest-view", JsonNode.Parse(hidden.Stdout)!["warnings"]!.ToJsonString());
    }

    [Fact]
    public void The_text_report_names_each_device_and_its_warnings()
    {
        using var dir = WithLabels();
        var outcome = TestMachines.RunVnvdimm(["layout", "--", .. Machine(dir, device: "label-size=128K,slot=2")]);
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("nv0  slot 2  NFIT handle 0x3  nmem0/region0", outcome.Stdout);
        Assert.Contains("labels  file bytes 0xc7e0000-0xc800000", outcome.Stdout);
        Assert.Contains("warning: 1 label of its label set was written for slot 0", outcome.Stdout);
    }
}
