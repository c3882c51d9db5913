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

    /// <summary>
    /// What the publisher is told is true: a message is never answered as failed when it may still arrive, and never
    /// answered as stored when it was not. Without an answer, the publisher's connection closes (0x89 Server busy) and
    /// the client is left to send the message again.
    /// </summary>
    [Fact]
    [Trait("spec", "MQTT-3.4.2-1")]
    public async Task While_the_store_is_down_a_publisher_gets_no_PUBACK_and_after_it_is_back_delivery_resumes()
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

        var publisherId = "pub-" + Guid.NewGuid().ToString("N")[..8];
        var (publisher, _) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = publisherId });
        await using (publisher)
        {
            Assert.Equal(ReasonCode.Success, await PublishAsync(publisher, topic, "before", 1));

            await postgres.StopAsync();
            await publisher.SendAsync(new PublishPacket { Topic = topic, Payload = "during"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = 2 });
            var disconnect = Assert.IsType<DisconnectPacket>(Assert.Single(await publisher.ExpectClosedAsync(TimeSpan.FromSeconds(30))));
            Assert.Equal(ReasonCode.ServerBusy, disconnect.ReasonCode);
            await postgres.StartAsync();
        }

        // The subscriber's session starts again from its journal on the next message for it; until then a write may
        // still fail, and the publisher is disconnected again.
        var delivered = false;
        for (ushort id = 3; !delivered && id < 40; id++)
        {
            var (again, _) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = publisherId });
            await using (again)
            {
                await again.SendAsync(new PublishPacket { Topic = topic, Payload = "after"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = id });
                var answer = await again.ReceiveAsync(TimeSpan.FromSeconds(30));
                delivered = answer is PubAckPacket { ReasonCode: ReasonCode.Success };
                Assert.True(delivered || answer is DisconnectPacket { ReasonCode: ReasonCode.ServerBusy }, $"unexpected {answer}");
            }
        }

        Assert.True(delivered, "no PUBACK after the store came back:\n" + broker.Output);

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
            await publisher.SendAsync(new PublishPacket { Topic = topic + "/retained", Payload = "during"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = 1, Retain = true });
            Assert.Equal(ReasonCode.ServerBusy, Assert.IsType<DisconnectPacket>(Assert.Single(await publisher.ExpectClosedAsync(TimeSpan.FromSeconds(30)))).ReasonCode);

            await postgres.StartAsync();
        }

        // The retained store comes back by itself, with some backoff; until then the publisher gets no PUBACK.
        var code = ReasonCode.UnspecifiedError;
        for (ushort id = 2; code != ReasonCode.NoMatchingSubscribers && id < 40; id++)
        {
            var (again, _) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "pub-" + Guid.NewGuid().ToString("N")[..8] });
            await using (again)
            {
                await again.SendAsync(new PublishPacket { Topic = topic + "/retained", Payload = "after"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = id, Retain = true });
                var answer = await again.ReceiveAsync(TimeSpan.FromSeconds(30));
                code = answer is PubAckPacket ack ? ack.ReasonCode : ((DisconnectPacket)answer).ReasonCode;
            }
        }

        Assert.Equal(ReasonCode.NoMatchingSubscribers, code);

        var (late, _) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "late-" + Guid.NewGuid().ToString("N")[..8] });
        await using (late)
        {
            await late.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic + "/retained")] });
            await late.ReceiveAsync<SubAckPacket>();
            Assert.Equal("after", Encoding.UTF8.GetString((await late.ReceiveAsync<PublishPacket>()).Payload.Span));
        }
    }

    private static async Task<ReasonCode> PublishAsync(RawClient publisher, string topic, string payload, ushort packetId)
    {
        await publisher.SendAsync(new PublishPacket { Topic = topic, Payload = Encoding.UTF8.GetBytes(payload), QoS = QualityOfService.AtLeastOnce, PacketId = packetId });
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
