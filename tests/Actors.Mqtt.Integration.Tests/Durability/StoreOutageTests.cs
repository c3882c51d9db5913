using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Integration.Tests.Durability;

/// <summary>
/// The database goes away under a running broker: a message that cannot be written is not acknowledged as written,
/// the broker says so in its log, and once the database is back the same session works again.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class StoreOutageTests : IAsyncLifetime
{
    private readonly PostgresServer postgres = new();
    private readonly string folder = Directory.CreateTempSubdirectory("actors-mqtt-outage-").FullName;

    public Task InitializeAsync() => postgres.InitializeAsync();

    public async Task DisposeAsync()
    {
        await postgres.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    [Trait("spec", "MQTT-3.4.2-1")]
    public async Task While_the_store_is_down_a_publisher_gets_no_successful_PUBACK_and_after_it_is_back_delivery_resumes()
    {
        await using var broker = new BrokerProcess(
            folder,
            "actors-mqtt.persistence.store=postgresql",
            $"actors-mqtt.persistence.postgresql.connection-string={await postgres.CreateDatabaseAsync()}",
            "actors-mqtt.persistence.confirm-timeout=3s");
        await broker.StartAsync();
        var topic = $"outage/{Guid.NewGuid():N}";
        var subscriberId = "sub-" + Guid.NewGuid().ToString("N")[..12];
        await SubscribeAndLeaveAsync(broker, subscriberId, topic);

        var (publisher, _) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "pub-" + Guid.NewGuid().ToString("N")[..8] });
        await using (publisher)
        {
            Assert.Equal(ReasonCode.Success, await PublishAsync(publisher, topic, "before", 1));

            await postgres.StopAsync();
            Assert.Equal(ReasonCode.UnspecifiedError, await PublishAsync(publisher, topic, "during", 2));
            await postgres.StartAsync();

            // The session restarts from its journal on the next message for it; until then writes may still fail.
            var code = ReasonCode.UnspecifiedError;
            for (ushort id = 3; code != ReasonCode.Success && id < 60; id++)
            {
                code = await PublishAsync(publisher, topic, "after", id);
            }

            Assert.Equal(ReasonCode.Success, code);
        }

        var received = await DrainAsync(broker, subscriberId);
        Assert.Contains("before", received);
        Assert.Contains("after", received);
        Assert.Contains("journal write failed", broker.Output, StringComparison.Ordinal);
        Assert.Contains("not acknowledged", broker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connected_client_whose_session_cannot_write_is_disconnected_and_retained_messages_are_kept_again_once_the_store_is_back()
    {
        await using var broker = new BrokerProcess(
            folder,
            "actors-mqtt.persistence.store=postgresql",
            $"actors-mqtt.persistence.postgresql.connection-string={await postgres.CreateDatabaseAsync()}",
            "actors-mqtt.persistence.confirm-timeout=3s");
        await broker.StartAsync();
        var topic = $"outage/{Guid.NewGuid():N}";
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Persistent("zombie-" + Guid.NewGuid().ToString("N")[..8]));
        var (publisher, _) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "pub-" + Guid.NewGuid().ToString("N")[..8] });
        await using (client)
        await using (publisher)
        {
            await postgres.StopAsync();

            // The SUBSCRIBE's write fails: the session cannot keep what it is told, so its connection does not live on.
            await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic)] });
            var disconnect = Assert.IsType<DisconnectPacket>(Assert.Single(await client.ExpectClosedAsync(TimeSpan.FromSeconds(30))));
            Assert.Equal(ReasonCode.UnspecifiedError, disconnect.ReasonCode);
            Assert.Equal(ReasonCode.UnspecifiedError, await PublishAsync(publisher, topic + "/retained", "during", 1, retain: true));
            await postgres.StartAsync();

            // The retained store comes back by itself, with some backoff.
            var code = ReasonCode.UnspecifiedError;
            for (ushort id = 2; ReasonCodes.IsFailure(code) && id < 40; id++)
            {
                code = await PublishAsync(publisher, topic + "/retained", "after", id, retain: true);
            }

            Assert.Equal(ReasonCode.NoMatchingSubscribers, code);
        }

        var (late, _) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "late-" + Guid.NewGuid().ToString("N")[..8] });
        await using (late)
        {
            await late.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic + "/retained")] });
            await late.ReceiveAsync<SubAckPacket>();
            Assert.Equal("after", Encoding.UTF8.GetString((await late.ReceiveAsync<PublishPacket>()).Payload.Span));
        }
    }

    private static async Task<ReasonCode> PublishAsync(RawClient publisher, string topic, string payload, ushort packetId, bool retain = false)
    {
        await publisher.SendAsync(new PublishPacket { Topic = topic, Payload = Encoding.UTF8.GetBytes(payload), QoS = QualityOfService.AtLeastOnce, PacketId = packetId, Retain = retain });
        var ack = await publisher.ReceiveAsync<PubAckPacket>(TimeSpan.FromSeconds(30));
        Assert.Equal(packetId, ack.PacketId);
        return ack.ReasonCode;
    }

    private static async Task SubscribeAndLeaveAsync(BrokerProcess broker, string clientId, string topic)
    {
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Persistent(clientId));
        await using (subscriber)
        {
            await subscriber.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic) { MaximumQoS = QualityOfService.AtLeastOnce }] });
            await subscriber.ReceiveAsync<SubAckPacket>();
            await subscriber.SendAsync(new DisconnectPacket());
            await subscriber.ExpectClosedAsync();
        }
    }

    private static async Task<List<string>> DrainAsync(BrokerProcess broker, string clientId)
    {
        var received = new List<string>();
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Persistent(clientId));
        await using (subscriber)
        {
            while (true)
            {
                PublishPacket publish;
                try
                {
                    publish = await subscriber.ReceiveAsync<PublishPacket>(TimeSpan.FromSeconds(3));
                }
                catch (TimeoutException)
                {
                    return received;
                }

                received.Add(Encoding.UTF8.GetString(publish.Payload.Span));
                await subscriber.SendAsync(new PubAckPacket { PacketId = publish.PacketId });
            }
        }
    }

    private static ConnectPacket Persistent(string clientId) => new()
    {
        ProtocolVersion = MqttProtocolVersion.V500,
        ClientId = clientId,
        CleanSession = false,
        Properties = new MqttProperties { SessionExpiryInterval = 3600 },
    };
}
