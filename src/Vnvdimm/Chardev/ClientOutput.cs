using Microsoft.Extensions.Logging;

namespace Vnvdimm.Chardev;

/// <summary>
/// A client's outgoing messages, written by a thread of the client's own so that no caller ever waits
/// for a client: <see cref="TryWrite"/> only queues. What queued while a write was under way goes out
/// in one write. A client that lets more than <see cref="Limit"/> bytes pile up is not keeping up (it
/// stopped reading): it is hung up on and logged, never waited for.
/// </summary>
public sealed class ClientOutput : IDisposable
{
    /// <summary>Queued bytes beyond which a client is dropped; far above what a reading client ever has waiting.</summary>
    public const int DefaultLimit = 8 << 20;

    private readonly ClientConnection _client;
    private readonly ILogger _logger;
    private readonly object _lock = new();
    private readonly Queue<byte[]> _queue = new();
    private readonly Thread _writer;
    private long _queued;
    private bool _closed, _completing;

    public ClientOutput(ClientConnection client, ILogger logger, int limit = DefaultLimit)
    {
        _client = client;
        _logger = logger;
        Limit = limit;
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = $"{client.Name} writer" };
        _writer.Start();
    }

    public int Limit { get; }

    /// <summary>False once the client is gone (hung up, or dropped for falling behind).</summary>
    public bool IsOpen
    {
        get { lock (_lock) return !_closed; }
    }

    /// <summary>Queues one message; never blocks. False when the client is gone or was just dropped for falling behind.</summary>
    public bool TryWrite(ReadOnlySpan<byte> message)
    {
        lock (_lock)
        {
            if (_closed || _completing)
                return false;
            if (_queued + message.Length > Limit)
            {
                _closed = true;
                _queue.Clear();
                System.Threading.Monitor.PulseAll(_lock);
            }
            else
            {
                _queue.Enqueue(message.ToArray());
                _queued += message.Length;
                System.Threading.Monitor.PulseAll(_lock);
                return true;
            }
        }
        _logger.LogWarning("{Client}: more than {Limit} bytes of output waiting; the client does not read, disconnecting it", _client.Name, Limit);
        _client.HangUp();
        return false;
    }

    /// <summary>Lets what is queued go out, waiting until <paramref name="deadline"/> at most, then stops the writer.</summary>
    public void Complete(DateTime deadline)
    {
        lock (_lock)
        {
            _completing = true;
            System.Threading.Monitor.PulseAll(_lock);
        }
        var left = deadline - DateTime.UtcNow;
        if (!_writer.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero))
        {
            // Stuck in a write to a client that does not read: hanging up ends that write.
            lock (_lock)
                _closed = true;
            _client.HangUp();
            _writer.Join(TimeSpan.FromMilliseconds(200));
        }
    }

    private void WriteLoop()
    {
        var batch = new MemoryStream();
        try
        {
            while (true)
            {
                batch.SetLength(0);
                lock (_lock)
                {
                    while (_queue.Count == 0 && !_closed && !_completing)
                        System.Threading.Monitor.Wait(_lock);
                    if (_closed || _queue.Count == 0)
                        return; // dropped, or completing with nothing left
                    while (_queue.TryDequeue(out var message))
                        batch.Write(message);
                    _queued = 0;
                }
                _client.Output.Write(batch.GetBuffer(), 0, (int)batch.Length);
                _client.Output.Flush();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
            _logger.LogDebug("{Client}: write failed: {Reason}", _client.Name, e.Message);
            _client.HangUp(); // the reader learns at once that this client is gone
        }
        catch (Exception e)
        {
            _logger.LogError(e, "{Client}: internal error in the writer", _client.Name);
        }
        finally
        {
            lock (_lock)
            {
                _closed = true;
                _queue.Clear();
            }
        }
    }

    public void Dispose() => Complete(DateTime.UtcNow);
}
