using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Vnvdimm.Testing;

/// <summary>
/// A QMP client for tests, over a Unix or TCP socket to QEMU or vnvdimm: reads the greeting, sends
/// messages, and separates answers from the events that arrive between them.
/// </summary>
public sealed class QmpClient : IDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly NetworkStream _stream;

    private QmpClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new StreamReader(_stream, new UTF8Encoding(false));
        Greeting = ReadMessage() ?? throw new IOException("no QMP greeting");
    }

    public JsonObject Greeting { get; }

    /// <summary>Events received so far, in order.</summary>
    public List<JsonObject> Events { get; } = [];

    /// <summary>Connects to a Unix socket, waiting up to 10 s for the machine to create it.</summary>
    public static QmpClient ConnectUnix(string path, bool negotiate = true)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(path));
                return Negotiated(new QmpClient(socket), negotiate);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                socket.Dispose();
                Thread.Sleep(20);
            }
        }
    }

    public static QmpClient ConnectTcp(string host, int port, bool negotiate = true)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Connect(host, port);
                return Negotiated(new QmpClient(socket), negotiate);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                socket.Dispose();
                Thread.Sleep(20);
            }
        }
    }

    private static QmpClient Negotiated(QmpClient client, bool negotiate)
    {
        if (negotiate)
            client.Execute("{\"execute\":\"qmp_capabilities\"}");
        return client;
    }

    /// <summary>Sends one message (any text) and returns the next answer, collecting events on the way.</summary>
    public JsonObject Execute(string message)
    {
        Send(message + "\n");
        return NextAnswer();
    }

    public void Send(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        _stream.Write(bytes);
        _stream.Flush();
    }

    public JsonObject NextAnswer()
    {
        while (true)
        {
            var message = ReadMessage() ?? throw new IOException("QMP connection closed");
            if (message.ContainsKey("event"))
                Events.Add(message);
            else
                return message;
        }
    }

    /// <summary>Reads until the connection closes, collecting events; returns the answers met.</summary>
    public List<JsonObject> ReadToEnd()
    {
        var answers = new List<JsonObject>();
        while (ReadMessage() is JsonObject message)
        {
            if (message.ContainsKey("event"))
                Events.Add(message);
            else
                answers.Add(message);
        }
        return answers;
    }

    private JsonObject? ReadMessage()
    {
        string? line;
        try
        {
            line = _reader.ReadLine();
        }
        catch (IOException)
        {
            return null;
        }
        return line is null ? null : JsonNode.Parse(line)!.AsObject();
    }

    public void Dispose()
    {
        _reader.Dispose();
        _socket.Dispose();
    }
}
