using System.Diagnostics;
using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>
/// The broker executable with a connection limit: a connection over it is closed before any MQTT is answered and
/// the broker logs why, while the clients already connected go on as before.
/// </summary>
public sealed class ConnectionLimitTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string folder = Directory.CreateTempSubdirectory("actors-mqtt-limits-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Theory]
    [InlineData("actors-mqtt.limits.max-connections=2", "actors-mqtt.limits.max-connections (2) is reached")]
    [InlineData("actors-mqtt.listeners.tcp.max-connections=2", "the listener's max-connections is reached")]
    public async Task A_connection_over_max_connections_is_closed_at_once_and_the_connected_clients_are_unaffected(string limit, string logged)
    {
        await using var broker = new BrokerProcess(folder, limit);
        await broker.StartAsync();
        var topic = $"limits/{Guid.NewGuid():N}";

        // The start-up probe's connection may still hold a place for a moment: wait until each place is free.
        await using var subscriber = await ConnectWhenAdmittedAsync(broker, "sub");
        await using var publisher = await ConnectWhenAdmittedAsync(broker, "pub");

        await using (var third = await RawClient.OpenAsync(broker.EndPoint))
        {
            await third.SendAsync(Connect("third"));
            Assert.Empty(await third.ExpectClosedAsync());
        }

        await WaitForOutputAsync(broker, logged);

        await subscriber.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic)] });
        await subscriber.ReceiveAsync<SubAckPacket>();
        await publisher.SendAsync(new PublishPacket { Topic = topic, Payload = Encoding.UTF8.GetBytes("still here") });
        Assert.Equal("still here", Encoding.UTF8.GetString((await subscriber.ReceiveAsync<PublishPacket>()).Payload.Span));

        // A place given back is a place for the next client.
        await publisher.DisposeAsync();
        await using var next = await ConnectWhenAdmittedAsync(broker, "next");
    }

    [Fact]
    public async Task A_WebSocket_over_its_listeners_max_connections_is_closed_before_the_upgrade_and_the_connected_one_is_unaffected()
    {
        var broker = new BrokerFixture
        {
            Overrides =
            [
                "actors-mqtt.listeners.ws-limited.kind=ws",
                "actors-mqtt.listeners.ws-limited.host=127.0.0.1",
                "actors-mqtt.listeners.ws-limited.port=0",
                "actors-mqtt.listeners.ws-limited.max-connections=1",
            ],
        };
        await broker.InitializeAsync();
        try
        {
            var uri = new Uri($"ws://127.0.0.1:{broker.EndPointOf("ws-limited").Port}/mqtt");
            using var connected = await MqttWebSocket.ConnectAsync(uri, null, "mqtt");

            await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => MqttWebSocket.ConnectAsync(uri, null, "mqtt"));

            // MQTT 3.1.1 CONNECT, client id "ws", and its CONNACK.
            await connected.SendAsync([0x10, 0x0E, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3C, 0x00, 0x02, 0x77, 0x73]);
            Assert.Equal([0x20, 0x02, 0x00, 0x00], await connected.ReceiveAsync(4));
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_source_address_over_the_connect_rate_is_closed_at_once_and_its_connected_client_is_unaffected()
    {
        // 1.5 new connections a second, bursts of 3: room for the first client beside the start-up probe (which takes
        // one when the broker accepts it before the probe closed it again) and one more stray connection (full runs on
        // the clean clone saw the first client refused with a burst of 2, cause not found). Then connections as fast as
        // one client makes them outrun the refill, and one is refused within a few.
        await using var broker = new BrokerProcess(folder, "actors-mqtt.limits.connect-rate=1.5");
        await broker.StartAsync();

        RawClient first;
        try
        {
            (first, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect("first"));
        }
        catch (IOException e)
        {
            throw new IOException($"the first client was refused; the broker said:\n{broker.Output}", e);
        }

        await using (first)
        {
            var admitted = new List<RawClient>();
            var refused = false;
            try
            {
                for (var attempt = 0; attempt < 30 && !refused; attempt++)
                {
                    var next = await RawClient.OpenAsync(broker.EndPoint);
                    try
                    {
                        // A refused socket may be closed before CONNECT is written: the write fails then, not the read.
                        await next.SendAsync(Connect("next"));
                        Assert.IsType<ConnAckPacket>(await next.ReceiveAsync());
                        admitted.Add(next);
                    }
                    catch (IOException)
                    {
                        // Closed without a CONNACK: refused before any MQTT was read.
                        refused = true;
                        await next.DisposeAsync();
                    }
                }
            }
            finally
            {
                foreach (var client in admitted)
                {
                    await client.DisposeAsync();
                }
            }

            Assert.True(refused, "no connection over the rate was refused");

            await WaitForOutputAsync(broker, "actors-mqtt.limits.connect-rate");
            await first.SendAsync(PingReqPacket.Instance);
            await first.ReceiveAsync<PingRespPacket>();
        }
    }

    private static ConnectPacket Connect(string name) =>
        new() { ProtocolVersion = MqttProtocolVersion.V500, ClientId = $"{name}-{Guid.NewGuid():N}"[..20] };

    private static async Task<RawClient> ConnectWhenAdmittedAsync(BrokerProcess broker, string name)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var (client, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(name));
                Assert.Equal(ReasonCode.Success, connAck.ReasonCode);
                return client;
            }
            catch (IOException) when (deadline.Elapsed < Patience)
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task WaitForOutputAsync(BrokerProcess broker, string text)
    {
        var deadline = Stopwatch.StartNew();
        while (!broker.Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(deadline.Elapsed < Patience, $"the broker did not log '{text}':\n{broker.Output}");
            await Task.Delay(100);
        }
    }
}
