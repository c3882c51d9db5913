using System.Net;
using System.Net.Sockets;
using Actors.Mqtt.Server.Tests.Support;

namespace Actors.Mqtt.Server.Tests.Transport;

public sealed class EchoOverTcpTests(EchoServer server) : IClassFixture<EchoServer>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task One_MiB_in_random_size_writes_comes_back_identical()
    {
        var data = RandomBytes(1024 * 1024, seed: 1);
        using var client = await ConnectAsync();
        var stream = client.GetStream();

        var reading = ReadExactlyAsync(stream, data.Length);
        var random = new Random(2);
        for (var offset = 0; offset < data.Length;)
        {
            var size = Math.Min(random.Next(1, 20_000), data.Length - offset);
            await stream.WriteAsync(data.AsMemory(offset, size));
            offset += size;
        }

        Assert.Equal(data, await reading.WaitAsync(Patience));
        Assert.InRange(server.Echo.LargestChunk, 1, 64 * 1024);
    }

    [Fact]
    public async Task Fifty_concurrent_connections_each_echo_64_KiB()
    {
        async Task EchoOne(int seed)
        {
            var data = RandomBytes(64 * 1024, seed);
            using var client = await ConnectAsync();
            var stream = client.GetStream();
            var reading = ReadExactlyAsync(stream, data.Length);
            await stream.WriteAsync(data);
            Assert.Equal(data, await reading.WaitAsync(Patience));
        }

        await Task.WhenAll(Enumerable.Range(100, 50).Select(EchoOne));
    }

    [Fact]
    public async Task Closing_the_client_ends_the_connection_and_the_server_serves_the_next()
    {
        using (var first = await ConnectAsync())
        {
            var stream = first.GetStream();
            await stream.WriteAsync(new byte[] { 1, 2, 3 });
            first.Client.Shutdown(SocketShutdown.Send);
            var echoed = await ReadToEndAsync(stream).WaitAsync(Patience);
            Assert.Equal(new byte[] { 1, 2, 3 }, echoed);
        }

        using var second = await ConnectAsync();
        var secondStream = second.GetStream();
        var reading = ReadExactlyAsync(secondStream, 2);
        await secondStream.WriteAsync(new byte[] { 4, 5 });
        Assert.Equal(new byte[] { 4, 5 }, await reading.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_client_that_does_not_read_stops_the_server_reading_and_then_gets_everything()
    {
        // The path after the server's source: Kestrel's output pipe, the server's send buffer (grown by the kernel up
        // to tcp_wmem's maximum), this client's receive buffer. Beyond those the echo must hold back, so what the
        // source emitted stays within them plus a slack for in-flight chunks and pipe thresholds.
        const int clientBuffer = 64 * 1024;
        var bound = MaxKernelSendBuffer() + (4 * clientBuffer) + (2 * 1024 * 1024);
        var total = (int)Math.Max(8 * 1024 * 1024, bound + (4 * 1024 * 1024));
        var data = RandomBytes(total, seed: 3);

        using var client = new TcpClient { ReceiveBufferSize = clientBuffer, SendBufferSize = clientBuffer };
        await client.ConnectAsync(server.EndPoint);
        var stream = client.GetStream();
        var writing = stream.WriteAsync(data).AsTask();

        var received = await SettledAsync(() => server.Echo.BytesReceivedFrom(((IPEndPoint)client.Client.LocalEndPoint!).Port));
        Assert.InRange(received, 1, bound);
        Assert.True(received < total, $"the server read all {total} bytes from a client that never read");

        Assert.Equal(data, await ReadExactlyAsync(stream, total).WaitAsync(Patience));
        await writing.WaitAsync(Patience);
    }

    private async Task<TcpClient> ConnectAsync()
    {
        var client = new TcpClient();
        await client.ConnectAsync(server.EndPoint);
        return client;
    }

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte[]> ReadExactlyAsync(NetworkStream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer);
        return buffer;
    }

    private static async Task<byte[]> ReadToEndAsync(NetworkStream stream)
    {
        using var all = new MemoryStream();
        await stream.CopyToAsync(all);
        return all.ToArray();
    }

    /// <summary>Waits until a growing counter stops growing; only how far it got is asserted, never how fast.</summary>
    private static async Task<long> SettledAsync(Func<long> read)
    {
        var last = -1L;
        var unchanged = 0;
        for (var attempt = 0; attempt < 300 && unchanged < 5; attempt++)
        {
            await Task.Delay(100);
            var now = read();
            unchanged = now == last ? unchanged + 1 : 0;
            last = now;
        }

        Assert.True(unchanged >= 5, $"the server kept reading from a client that never read ({last} bytes so far)");
        return last;
    }

    private static long MaxKernelSendBuffer()
    {
        const string path = "/proc/sys/net/ipv4/tcp_wmem";
        return File.Exists(path) && long.TryParse(File.ReadAllText(path).Split('\t', ' ').Last(s => s.Length > 0), out var max)
            ? max
            : 4 * 1024 * 1024;
    }
}
