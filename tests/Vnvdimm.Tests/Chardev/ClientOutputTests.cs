using System.Text;
using Vnvdimm.Chardev;

namespace Vnvdimm.Tests.Chardev;

public sealed class ClientOutputTests
{
    /// <summary>A client whose writes block until released: one that does not read.</summary>
    private sealed class StalledStream : MemoryStream
    {
        public readonly ManualResetEventSlim Release = new();
        public int Writes;

        public override void Write(byte[] buffer, int offset, int count)
        {
            Release.Wait(TimeSpan.FromSeconds(10));
            Interlocked.Increment(ref Writes);
            base.Write(buffer, offset, count);
        }
    }

    [Fact]
    public void Writes_never_block_the_caller_and_a_client_too_far_behind_is_hung_up_on()
    {
        var stream = new StalledStream();
        int hangUps = 0;
        using var output = new ClientOutput(
            new ClientConnection(Stream.Null, stream, () => Interlocked.Increment(ref hangUps), "test"), new TestLogger(), limit: 1000);
        var message = new byte[100];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int accepted = 0;
        while (output.TryWrite(message))
            accepted++;
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), "TryWrite waited for the client");
        Assert.InRange(accepted, 10, 20); // 1000 bytes queued, plus the batch the stalled writer holds, then the drop
        Assert.Equal(1, hangUps);
        Assert.False(output.IsOpen);
        stream.Release.Set();
    }

    [Fact]
    public void What_queued_during_a_write_goes_out_in_order_in_one_write_and_complete_drains_it()
    {
        var stream = new StalledStream();
        using var output = new ClientOutput(new ClientConnection(Stream.Null, stream, () => { }, "test"), new TestLogger());
        for (int i = 0; i < 50; i++)
            Assert.True(output.TryWrite(Encoding.ASCII.GetBytes($"{i};")));
        stream.Release.Set();
        output.Complete(DateTime.UtcNow.AddSeconds(5));
        Assert.Equal(string.Concat(Enumerable.Range(0, 50).Select(i => $"{i};")), Encoding.ASCII.GetString(stream.ToArray()));
        Assert.InRange(stream.Writes, 1, 2); // the first message alone at most, then the rest together
    }
}
