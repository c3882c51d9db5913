using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>
/// limits.max-session-expiry bounds how long a session outlives its connection: an MQTT 5 client asking for more gets
/// the maximum and is told so in CONNACK; a 3.1.1 persistent session, which would never expire, expires after it.
/// </summary>
public sealed class SessionExpiryLimitTests(SessionExpiryLimitTests.Broker broker) : IClassFixture<SessionExpiryLimitTests.Broker>
{
    [Fact]
    public async Task An_MQTT_5_client_asking_for_more_than_the_maximum_gets_the_maximum_in_CONNACK()
    {
        var (longer, longerAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(MqttProtocolVersion.V500, expiry: 3600));
        await using (longer)
        {
            Assert.Equal(1u, longerAck.Properties?.SessionExpiryInterval);
        }

        var (within, withinAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(MqttProtocolVersion.V500, expiry: 1));
        await using (within)
        {
            Assert.Null(withinAck.Properties?.SessionExpiryInterval);
        }
    }

    [Fact]
    public async Task A_3_1_1_persistent_session_expires_after_the_maximum()
    {
        var connect = Connect(MqttProtocolVersion.V311, expiry: null);
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, connect);
        await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("expiring/#")] });
        await client.ReceiveAsync<SubAckPacket>();
        await client.SendAsync(new DisconnectPacket());
        await client.ExpectClosedAsync();
        await client.DisposeAsync();

        // Well past the maximum of one second: the session is gone, whatever the scheduler's slack.
        await Task.Delay(TimeSpan.FromSeconds(4));
        var (again, connAck) = await RawClient.ConnectAsync(broker.EndPoint, connect);
        await using (again)
        {
            Assert.False(connAck.SessionPresent);
        }
    }

    private static ConnectPacket Connect(MqttProtocolVersion version, uint? expiry) => new()
    {
        ProtocolVersion = version,
        ClientId = "expiry-" + Guid.NewGuid().ToString("N")[..12],
        CleanSession = false,
        Properties = expiry is { } e ? new MqttProperties { SessionExpiryInterval = e } : null,
    };

    /// <summary>A broker that keeps a session at most one second after its connection.</summary>
    public sealed class Broker : IAsyncLifetime
    {
        private readonly BrokerFixture inner = new() { Overrides = ["actors-mqtt.limits.max-session-expiry=1"] };

        public System.Net.IPEndPoint EndPoint => inner.EndPoint;

        public Task InitializeAsync() => inner.InitializeAsync();

        public Task DisposeAsync() => inner.DisposeAsync();
    }
}
