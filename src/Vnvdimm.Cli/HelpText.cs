namespace Vnvdimm.Cli;

/// <summary>The texts of -h and -version, in QEMU's layout.</summary>
public static class HelpText
{
    private static string ProductVersion => Monitor.MachineMonitor.ProductVersion;

    public static string Version =>
        $"vnvdimm emulator version {ProductVersion} (QEMU 7.2 compatible NVDIMM subsystem)\n" +
        "Copyright (c) 2026 the vnvdimm developers\n";

    public static string Usage =>
        $"""
        vnvdimm emulator version {ProductVersion} (QEMU 7.2 compatible NVDIMM subsystem)
        usage: vnvdimm [options]

        With no options, starts the default machine (one 1 GiB NVDIMM) and shows what the guest sees.

        Standard options:
        -h or -help     display this help and exit
        -version        display version information and exit
        -machine [type=]name[,prop[=value][,...]]
                        pc (alias of pc-i440fx-7.2), q35 (alias of pc-q35-7.2) or none;
                        -machine help lists them
                        nvdimm=on|off controls NVDIMM support (default=off)
                        nvdimm-persistence=cpu|mem-ctrl sets the platform persistence domain
                        accel=... accepted and ignored (no guest code runs)
        -m [size=]megs[,slots=n,maxmem=size]
                        configure guest RAM (default unit MiB), memory slots and the
                        maximum memory including NVDIMMs
        -object memory-backend-file,id=id,size=size,mem-path=path[,share=on|off]
                [,align=align][,pmem=on|off][,readonly=on|off][,discard-data=on|off]
                [,prealloc=on|off]
        -object memory-backend-ram,id=id,size=size[,share=on|off][,prealloc=on|off]
        -device nvdimm,memdev=id[,id=id][,label-size=size][,unarmed=on|off]
                [,uuid=uuid][,slot=n][,node=n][,addr=addr]
        -numa node[,nodeid=node][,memdev=id]
        -name string    set the name of the guest
        -S              accepted (the machine has no CPU to freeze)
        -nodefaults     accepted (there are no default devices)
        -display none   no display (the only one)
        -nographic      accepted
        -accel ...      accepted and ignored
        -pidfile file   write the process id to file

        Testing options:
        -qtest stdio|unix:path[,server=on,wait=off]
                        serve the qtest protocol (the guest's view of the machine)
        -qtest-log file log qtest traffic to file

        Migration:
        -incoming tcp:host:port|unix:path|defer
                        wait for a migration stream (defer: until migrate-incoming)

        Monitor options:
        -qmp dev        QMP (JSON) monitor on dev; -monitor dev: HMP (text) monitor on dev
                        dev: stdio, unix:path,server=on,wait=off (mode 0600),
                        tcp:[host]:port,server=on,wait=off (no host: loopback), none
        -chardev socket,id=id,path=path|host=host,port=port[,server=on,wait=off]
        -chardev stdio,id=id
                        a character device a monitor can use (connects unless server=on)
        -mon chardev=id[,mode=readline|control]
                        HMP (readline) or QMP (control) on that character device

        Tools (vnvdimm TOOL --help for each):
        vnvdimm guest ...   the guest's view of a running machine over qtest: list, read-labels,
                            init-labels, create-namespace, destroy-namespace
        vnvdimm label ...   the same label operations on a backing file, offline
        vnvdimm check ...   is guest write persistence guaranteed for these backends, and if not, why
        vnvdimm layout -- OPTIONS
                            where a (vnvdimm or QEMU) command line puts each NVDIMM and its label
                            area, with warnings before data is lost; changes nothing

        """;
}
