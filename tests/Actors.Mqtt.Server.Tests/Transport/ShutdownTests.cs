using System.Net.Sockets;
using Actors.Mqtt.Server.Tests.Support;

namespace Actors.Mqtt.Server.Tests.Transport;

public sealed class ShutdownTests
{
    [Fact]
    public async Task Stopping_the_host_ends_open_connections_through_their_flow()
    {
        var server = new EchoServer();
        await server.InitializeAsync();
        using var client = new TcpClient();
        await client.ConnectAsync(server.EndPoint);
        var stream = client.GetStream();
        var reading = ReadExactlyAsync(stream, 1);
        await stream.WriteAsync(new byte[] { 42 });
        Assert.Equal(42, (await reading)[0]);

        // Kestrel asks the connection to close, the flow's input completes, the echo completes its output, and the
        // socket closes: the client reads end-of-stream rather than waiting for the host's shutdown timeout to abort.
        var stopping = server.DisposeAsync();
        Assert.Equal(0, await stream.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromMinutes(1)));
        await stopping.WaitAsync(TimeSpan.FromMinutes(1));
    }

    private static async Task<byte[]> ReadExactlyAsync(NetworkStream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer);
        return buffer;
    }
}
