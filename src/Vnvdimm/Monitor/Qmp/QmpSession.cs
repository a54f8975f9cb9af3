using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Vnvdimm.Chardev;
using Vnvdimm.Vmm;

namespace Vnvdimm.Monitor.Qmp;

/// <summary>
/// One QMP connection: greeting, capabilities negotiation, then commands answered in order with
/// their "id" echoed, and machine events interleaved. A bad message gets an error answer and the
/// connection goes on; only the peer going away ends it. Everything it sends goes through a
/// <see cref="ClientOutput"/>: events from other threads are queued, never written by the thread that
/// raised them, and a client that stops reading is dropped instead of stalling anyone.
/// </summary>
public sealed class QmpSession(QmpCommands commands, MachineMonitor monitor)
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = QmpFramer.DefaultMaxNesting + 1 };
    private static readonly byte[] LineEnd = "\r\n"u8.ToArray();

    // Paths and descriptions go out as they are: QMP clients read UTF-8, no need to escape "'" or "+".
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly QmpFramer _framer = new();
    private volatile bool _negotiated;

    /// <summary>Whether the client enabled out-of-band execution ("exec-oob") in its negotiation.</summary>
    private volatile bool _oob;
    private ClientOutput? _output;
    private ILogger? _logger;

    /// <summary>Serves until the peer closes the connection, is dropped, or the server stops.</summary>
    public void Run(ClientConnection client, ILogger logger, CancellationToken cancel)
    {
        _logger = logger;
        _output = new ClientOutput(client, logger);
        try
        {
            using var events = monitor.Machine.Events.Subscribe(OnEvent);
            Send(Greeting());
            var buffer = new byte[16 << 10];
            while (!cancel.IsCancellationRequested && _output.IsOpen)
            {
                int n = client.Input.Read(buffer);
                var frames = n == 0 ? _framer.Finish() : _framer.Feed(buffer.AsSpan(0, n));
                foreach (var frame in frames)
                    Send(Answer(frame));
                if (n == 0)
                    break;
            }
        }
        finally
        {
            _output.Complete(DateTime.UtcNow + Chardev.EndpointServer.StopGrace);
        }
    }

    private JsonObject Greeting() => new()
    {
        ["QMP"] = new JsonObject
        {
            ["version"] = JsonSerializer.SerializeToNode(monitor.Version(), QmpJsonContext.Default.VersionInfo),
            // As QEMU 7.2 on every monitor: out-of-band execution can be enabled.
            ["capabilities"] = new JsonArray("oob"),
        },
    };

    /// <summary>Answers one framed message; the answer carries its "id" when the message had a readable one.</summary>
    public JsonObject Answer(QmpFrame frame)
    {
        if (frame.Error is string framingError)
            return Error(MonitorErrorClass.GenericError, framingError, null);

        // The id as sent, null included (QEMU echoes "id": null too); absent when the message had none.
        Echo? id = null;
        try
        {
            using var document = Parse(frame.Json!);
            var message = document.RootElement;
            if (message.ValueKind != JsonValueKind.Object)
                throw MonitorException.Generic("QMP input must be a JSON object");
            if (message.TryGetProperty("id", out var idElement))
                id = new Echo(JsonNode.Parse(idElement.GetRawText(), documentOptions: ParseOptions)); // echoed however deep it is

            string? execute = null, executeOob = null;
            JsonElement? arguments = null;
            foreach (var member in message.EnumerateObject())
            {
                switch (member.Name)
                {
                    case "execute":
                        execute = member.Value.ValueKind == JsonValueKind.String
                            ? member.Value.GetString()
                            : throw MonitorException.Generic("QMP input member 'execute' must be a string");
                        break;
                    case "exec-oob" when _oob:
                        executeOob = member.Value.ValueKind == JsonValueKind.String
                            ? member.Value.GetString()
                            : throw MonitorException.Generic("QMP input member 'exec-oob' must be a string");
                        break;
                    case "arguments":
                        arguments = member.Value.ValueKind == JsonValueKind.Object
                            ? member.Value
                            : throw MonitorException.Generic("QMP input member 'arguments' must be an object");
                        break;
                    case "id":
                        break;
                    default:
                        throw MonitorException.Generic($"QMP input member '{member.Name}' is unexpected");
                }
            }
            if (execute is not null && executeOob is not null)
                throw MonitorException.Generic("QMP input member 'execute' clashes with 'exec-oob'");
            if (executeOob is not null)
            {
                // Out of band: answered at once, ahead of queued commands. Ours never queue, but QEMU's rule holds.
                if (!commands.Names.Contains(executeOob))
                    throw new MonitorException(MonitorErrorClass.CommandNotFound, $"The command {executeOob} has not been found");
                if (!QmpCommands.AllowsOob(executeOob))
                    throw MonitorException.Generic($"The command {executeOob} does not support OOB");
                execute = executeOob;
            }
            if (execute is null)
                throw MonitorException.Generic("QMP input lacks member 'execute'");

            var result = Execute(execute, new QmpArguments(arguments));
            var answer = new JsonObject { ["return"] = result };
            if (id is not null)
                answer["id"] = id.Value;
            return answer;
        }
        catch (MonitorException e)
        {
            return Error(e.ErrorClass, e.Message, id);
        }
        catch (UserError e)
        {
            return Error(MonitorErrorClass.GenericError, e.Message, id);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A host failure inside a command (a file that cannot be created or mapped): the client
            // hears about it and the machine, unchanged, goes on serving.
            return Error(MonitorErrorClass.GenericError, e.Message, id);
        }
        catch (Exception e)
        {
            // A defect, not the client's fault: it still gets an answer, and the log has the details.
            _logger?.LogError(e, "QMP: internal error");
            return Error(MonitorErrorClass.GenericError, $"internal error: {e.Message}", id);
        }
    }

    private JsonNode? Execute(string name, QmpArguments arguments)
    {
        if (!_negotiated)
        {
            bool oob = false;
            if (name != "qmp_capabilities")
                throw new MonitorException(MonitorErrorClass.CommandNotFound, "Expecting capabilities negotiation with 'qmp_capabilities'");
            if (arguments.Value("enable") is JsonElement enable)
            {
                if (enable.ValueKind != JsonValueKind.Array)
                    throw MonitorException.Generic("Invalid parameter type for 'enable', expected: array");
                int index = 0;
                foreach (var capability in enable.EnumerateArray())
                {
                    // QEMU 7.2's words, 'null' included: its enum check names no member for list elements.
                    if (capability.ValueKind != JsonValueKind.String)
                        throw MonitorException.Generic($"Invalid parameter type for 'enable[{index}]', expected: string");
                    index++;
                    if (capability.GetString() != "oob")
                        throw MonitorException.Generic($"Parameter 'null' does not accept value '{capability.GetString()}'");
                }
                oob = enable.GetArrayLength() > 0;
            }
            arguments.RejectUnknown();
            _oob = oob;
            _negotiated = true;
            return new JsonObject();
        }
        return commands.Execute(name, arguments);
    }

    private static JsonDocument Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, ParseOptions);
        }
        catch (JsonException)
        {
            throw MonitorException.Generic(IsBareWord(json) ? $"JSON parse error, invalid keyword '{json}'" : "JSON parse error, expecting value");
        }
        if (LoneSurrogate(json) is string escape)
        {
            document.Dispose();
            throw MonitorException.Generic($"JSON parse error, {escape} is not a valid Unicode character");
        }
        if (HasDuplicateKey(document.RootElement))
        {
            document.Dispose();
            throw MonitorException.Generic("JSON parse error, duplicate key");
        }
        return document;
    }

    /// <summary>
    /// The first <c>\uXXXX</c> escape in a string that is half of a surrogate pair without its other
    /// half, as QEMU's parser refuses it; .NET would accept it and fail later, when writing it back.
    /// </summary>
    internal static string? LoneSurrogate(string json)
    {
        bool inString = false;
        for (int i = 0; i < json.Length; i++)
        {
            char c = json[i];
            if (c == '"' && !inString)
                inString = true;
            else if (c == '"')
                inString = false;
            else if (c == '\\' && inString)
            {
                if (i + 1 < json.Length && json[i + 1] == 'u' && Escape(json, i) is int unit)
                {
                    bool high = unit is >= 0xD800 and <= 0xDBFF;
                    bool low = unit is >= 0xDC00 and <= 0xDFFF;
                    if (high && Escape(json, i + 6) is int next && next is >= 0xDC00 and <= 0xDFFF)
                        i += 6; // a proper pair
                    else if (high || low)
                        return json.Substring(i, 6);
                    i += 5;
                }
                else
                {
                    i++; // any other escape
                }
            }
        }
        return null;
    }

    private static int? Escape(string json, int at) =>
        at + 6 <= json.Length && json[at] == '\\' && json[at + 1] == 'u'
        && int.TryParse(json.AsSpan(at + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int unit) ? unit : null;

    private static bool IsBareWord(string json) => json.Length > 0 && char.IsLetter(json[0]);

    private static bool HasDuplicateKey(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var member in element.EnumerateObject())
                    if (!seen.Add(member.Name) || HasDuplicateKey(member.Value))
                        return true;
                return false;
            case JsonValueKind.Array:
                return element.EnumerateArray().Any(HasDuplicateKey);
            default:
                return false;
        }
    }

    /// <summary>An id to echo; its value may be JSON null.</summary>
    private sealed record Echo(JsonNode? Value);

    private static JsonObject Error(MonitorErrorClass errorClass, string description, Echo? id)
    {
        var answer = new JsonObject { ["error"] = new JsonObject { ["class"] = errorClass.ToString(), ["desc"] = description } };
        if (id is not null)
            answer["id"] = id.Value;
        return answer;
    }

    private void OnEvent(MachineEvent e)
    {
        if (!_negotiated)
            return;
        long micros = e.Timestamp.ToUnixTimeMilliseconds() * 1000 + e.Timestamp.Ticks / 10 % 1000;
        var message = new JsonObject
        {
            ["timestamp"] = new JsonObject { ["seconds"] = micros / 1_000_000, ["microseconds"] = micros % 1_000_000 },
            ["event"] = e.Name,
        };
        message["data"] = e switch
        {
            ShutdownEvent shutdown => new JsonObject { ["guest"] = shutdown.Guest, ["reason"] = shutdown.Reason },
            MigrationStatusEvent migration => new JsonObject { ["status"] = Migration.MigrationStatuses.Name(migration.Status) },
            MigrationPassEvent pass => new JsonObject { ["pass"] = pass.Pass },
            _ => null,
        };
        if (message["data"] is null)
            message.Remove("data");
        Send(message);
    }

    /// <summary>Queues one message for the client; never blocks, whatever the client does.</summary>
    private void Send(JsonObject message) => _output?.TryWrite(Encode(message));

    /// <summary>One message as it goes on the wire: compact JSON and "\r\n", as QEMU sends it.</summary>
    public static byte[] Encode(JsonObject message)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            message.WriteTo(writer);
        System.Buffers.BuffersExtensions.Write(buffer, LineEnd);
        return buffer.WrittenSpan.ToArray();
    }
}
