namespace Vnvdimm.Options;

/// <summary>
/// Character devices as QEMU's command line names them: the short form an option takes directly
/// (<c>-qmp unix:PATH,server=on,wait=off</c>), and the long form of <c>-chardev</c> with an id that a
/// <c>-mon</c> then attaches a monitor to (libqtest's and libvirt's way). Both end as one
/// <see cref="EndpointOptions"/>.
/// </summary>
public static class ChardevParser
{
    /// <summary>QEMU 7.2's chardev drivers: the ones vnvdimm lacks are refused as unsupported, anything else as unknown.</summary>
    internal static readonly HashSet<string> QemuDrivers =
    [
        "null", "socket", "udp", "msmouse", "wctablet", "memory", "ringbuf", "file", "stdio", "serial", "tty",
        "parallel", "parport", "pipe", "pty", "braille", "spicevmc", "spiceport", "qemu-vdagent", "dbus", "vc", "mux", "testdev",
    ];

    /// <summary>
    /// The short form: <c>stdio</c>, <c>unix:PATH[,server=on,wait=off]</c>, <c>tcp:HOST:PORT,server=on,wait=off</c>; null for "none".
    /// </summary>
    public static EndpointOptions? ParseShort(OptionGroup group)
    {
        string backend = group.RequiredString("backend");
        bool server = Server(group);
        EndpointOptions? endpoint;
        if (backend == "stdio")
        {
            endpoint = new EndpointOptions(EndpointKind.Stdio, Source: group.Location);
        }
        else if (backend == "none" && group.Option != "qtest")
        {
            endpoint = null;
        }
        else
        {
            SocketUri? address;
            try
            {
                address = SocketUri.TryParse(backend);
            }
            catch (FormatException)
            {
                throw group.Error($"parse error: {group.Text}"); // QEMU's words for a chardev it cannot read
            }
            catch (PathTooLongException e)
            {
                throw group.Error(e.Message);
            }
            endpoint = address is null
                ? throw group.Error($"chardev '{backend}' is not supported here: " +
                    "use stdio, unix:PATH[,server=on,wait=off] or tcp:HOST:PORT[,server=on,wait=off]")
                : new EndpointOptions(server ? EndpointKind.Server : EndpointKind.Client, address, group.Location);
        }
        group.RejectUnknown();
        return endpoint;
    }

    /// <summary><c>-chardev socket,id=ID,path=PATH|host=HOST,port=PORT[,server=on,wait=off]</c> or <c>-chardev stdio,id=ID</c>.</summary>
    public static (string Id, EndpointOptions Endpoint) ParseLong(OptionGroup group)
    {
        string driver = group.RequiredString("backend");
        string id = group.String("id") ?? throw group.Error("chardev: no id specified");
        CommandLineParser.Identifier(group, id);
        EndpointOptions endpoint;
        switch (driver)
        {
            case "stdio":
                group.Bool("signal"); // whether Ctrl-C reaches QEMU: vnvdimm leaves the terminal's signals alone
                endpoint = new EndpointOptions(EndpointKind.Stdio, Source: group.Location);
                break;
            case "socket":
                bool server = Server(group);
                group.Bool("nodelay"); // small writes already go out at once
                string? path = group.String("path");
                string? host = group.String("host");
                string? port = group.String("port");
                if (path is not null && host is not null)
                    throw group.Error("None or one of 'path', 'fd' or 'host' option required.");
                SocketUri address;
                try
                {
                    address = path is not null ? SocketUri.TryParse($"unix:{path}")!
                        : host is not null || port is not null ? SocketUri.ParseInet($"{host}:{port}")
                        : throw group.Error("Unable to parse FD number "); // QEMU's words: with neither, it reads the socket as fd=
                }
                catch (FormatException e)
                {
                    throw group.Error(port is null ? "chardev: socket: no port given" : e.Message);
                }
                catch (PathTooLongException e)
                {
                    throw group.Error(e.Message);
                }
                endpoint = new EndpointOptions(server ? EndpointKind.Server : EndpointKind.Client, address, group.Location);
                break;
            default:
                throw group.Error(QemuDrivers.Contains(driver)
                    ? $"chardev driver '{driver}' is not supported by vnvdimm: use socket or stdio"
                    : $"'{driver}' is not a valid char driver name");
        }
        group.RejectUnknown();
        return (id, endpoint);
    }

    /// <summary>A <c>-mon chardev=ID[,mode=readline|control][,pretty=on|off]</c>: which chardev, and whether it speaks QMP.</summary>
    public static (string Chardev, bool Control) ParseMon(OptionGroup group)
    {
        string chardev = group.RequiredString("chardev");
        string mode = group.String("mode") ?? "readline";
        if (mode is not ("readline" or "control"))
            throw group.Error($"Parameter 'mode' does not accept value '{mode}'");
        group.Bool("pretty"); // indentation only: compact JSON is the same document
        if (group.String("id") is string id)
            CommandLineParser.Identifier(group, id); // a name for the monitor (libvirt gives one); nothing refers to it
        group.RejectUnknown();
        return (chardev, mode == "control");
    }

    /// <summary>server=on/off and wait=on/off, with the legacy spellings "server" and "nowait" (QemuOpts' short form).</summary>
    private static bool Server(OptionGroup group)
    {
        bool server = group.Bool("server") ?? false;
        bool wait = group.Bool("wait") ?? true; // the legacy "nowait" arrives as wait=off
        if (server && wait)
            throw group.Error("vnvdimm does not wait for a client before starting: add wait=off");
        return server;
    }
}
