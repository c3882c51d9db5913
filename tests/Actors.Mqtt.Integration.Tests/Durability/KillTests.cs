using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Xunit.Abstractions;

namespace Actors.Mqtt.Integration.Tests.Durability;

/// <summary>
/// The durability promise against a real <c>kill -9</c> of the broker process on SQLite: every message the publisher
/// got an acknowledgement for reaches the offline persistent subscriber after the restart, QoS 2 exactly once.
/// </summary>
[Collection(nameof(RunsAlone))]
public class KillTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    private const int Total = 10_000;

    public static TheoryData<string> Stores() => ["sqlite", "postgresql"];

    [Theory]
    [MemberData(nameof(Stores))]
    [Trait("spec", "MQTT-4.3.2-2")]
    [Trait("spec", "MQTT-4.3.3-10")]
    [Trait("spec", "MQTT-4.4.0-1")]
    [Trait("spec", "MQTT-3.3.1-5")]
    public async Task Every_acknowledged_message_survives_a_kill_9_in_the_middle_of_the_stream(string store)
    {
        var folder = Directory.CreateTempSubdirectory("actors-mqtt-kill-");
        await using var broker = new BrokerProcess(folder.FullName, await SettingsAsync(store, folder.FullName));
        await broker.StartAsync();
        var topic = $"crash/{Guid.NewGuid():N}";
        var subscriberId = "sub-" + Guid.NewGuid().ToString("N")[..12];
        await SubscribeAndLeaveAsync(broker, subscriberId, topic);
        await PublishRetainedAsync(broker, topic + "/retained");

        var publisher = new StreamPublisher("pub-" + Guid.NewGuid().ToString("N")[..12], topic, Total, window: 32);
        var killAt = Random.Shared.Next(Total / 10, Total * 8 / 10);
        var stream = Task.Run(() => publisher.RunAsync(broker.EndPoint));
        while (publisher.AcknowledgedCount < killAt && !stream.IsCompleted)
        {
            await Task.Delay(5);
        }

        await broker.KillAsync();
        Assert.False(await stream, "the publisher finished before the kill");
        var acknowledgedBeforeKill = publisher.AcknowledgedCount;
        var sentBeforeKill = publisher.Sent;

        await broker.StartAsync();
        Assert.True(await publisher.RunAsync(broker.EndPoint), "the publisher could not finish after the restart:\n" + broker.Output);

        var received = await DrainAsync(broker, subscriberId, expected: publisher.Acknowledged);
        Report(output, store, sentBeforeKill, acknowledgedBeforeKill, publisher, received);
        AssertDelivered(publisher, received);
        await ExpectRetainedAsync(broker, topic + "/retained");
    }

    [Theory]
    [MemberData(nameof(Stores))]
    [Trait("spec", "MQTT-4.3.3-10")]
    public async Task QoS_2_messages_between_PUBREC_and_PUBCOMP_at_a_kill_9_arrive_exactly_once(string store)
    {
        var folder = Directory.CreateTempSubdirectory("actors-mqtt-kill-");
        await using var broker = new BrokerProcess(folder.FullName, await SettingsAsync(store, folder.FullName));
        await broker.StartAsync();
        var topic = $"crash/{Guid.NewGuid():N}";
        var subscriberId = "sub-" + Guid.NewGuid().ToString("N")[..12];
        await SubscribeAndLeaveAsync(broker, subscriberId, topic);

        // Every message gets its PUBREC, and the publisher holds back PUBREL: all of them are between PUBREC and
        // PUBCOMP when the broker dies. 100 is the broker's default receive maximum.
        const int count = 100;
        var publisherId = "pub-" + Guid.NewGuid().ToString("N")[..12];
        var messages = Enumerable.Range(1, count).Select(i => new PublishPacket
        {
            Topic = topic,
            Payload = Encoding.UTF8.GetBytes($"held-{i}"),
            QoS = QualityOfService.ExactlyOnce,
            PacketId = (ushort)i,
        }).ToList();
        var (publisher, _) = await RawClient.ConnectAsync(broker.EndPoint, Persistent(publisherId));
        await using (publisher)
        {
            foreach (var message in messages)
            {
                await publisher.SendAsync(message);
            }

            for (var i = 0; i < count; i++)
            {
                Assert.Equal(ReasonCode.Success, (await publisher.ReceiveAsync<PubRecPacket>()).ReasonCode);
            }
        }

        await broker.KillAsync();
        await broker.StartAsync();

        // The publisher's retry: the PUBLISH again with DUP (it may not know its PUBREC arrived), then PUBREL.
        var (retry, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Persistent(publisherId));
        await using (retry)
        {
            Assert.True(connAck.SessionPresent);
            foreach (var message in messages)
            {
                await retry.SendAsync(message with { Dup = true });
                Assert.Equal(message.PacketId, (await retry.ReceiveAsync<PubRecPacket>()).PacketId);
                await retry.SendAsync(new PubRelPacket { PacketId = message.PacketId });
                Assert.Equal(ReasonCode.Success, (await retry.ReceiveAsync<PubCompPacket>()).ReasonCode);
            }
        }

        var expected = messages.Select(m => Encoding.UTF8.GetString(m.Payload.Span)).ToHashSet();
        var received = await DrainAsync(broker, subscriberId, expected);
        output.WriteLine($"{store}: sent {count}, acknowledged {count}, received {received.Count}, duplicates {received.Count - received.Distinct().Count()}");
        Assert.Equal(expected.Order(), received.Order());
    }

    private async Task<string[]> SettingsAsync(string store, string folder)
    {
        string[] location = store == "sqlite"
            ? [$"actors-mqtt.persistence.sqlite.path={Path.Combine(folder, "broker.db")}"]
            : [$"actors-mqtt.persistence.postgresql.connection-string={await postgres.CreateDatabaseAsync()}"];
        return [$"actors-mqtt.persistence.store={store}", .. location, $"actors-mqtt.limits.max-queued-messages={Total * 2}"];
    }

    private static async Task PublishRetainedAsync(BrokerProcess broker, string topic)
    {
        var (publisher, _) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "r-" + Guid.NewGuid().ToString("N")[..12] });
        await using (publisher)
        {
            await publisher.SendAsync(new PublishPacket { Topic = topic, Payload = "retained"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = 1, Retain = true });

            // Stored, and nobody subscribed to it yet (Mosquitto answers a retained message the same way).
            Assert.Equal(ReasonCode.NoMatchingSubscribers, (await publisher.ReceiveAsync<PubAckPacket>()).ReasonCode);
        }
    }

    private static async Task ExpectRetainedAsync(BrokerProcess broker, string topic)
    {
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "r-" + Guid.NewGuid().ToString("N")[..12] });
        await using (subscriber)
        {
            await subscriber.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic) { MaximumQoS = QualityOfService.AtLeastOnce }] });
            await subscriber.ReceiveAsync<SubAckPacket>();
            var retained = await subscriber.ReceiveAsync<PublishPacket>();
            Assert.True(retained.Retain);
            Assert.Equal("retained", Encoding.UTF8.GetString(retained.Payload.Span));
        }
    }

    private static ConnectPacket Persistent(string clientId) => new()
    {
        ProtocolVersion = MqttProtocolVersion.V311,
        ClientId = clientId,
        CleanSession = false,
    };

    private static async Task SubscribeAndLeaveAsync(BrokerProcess broker, string clientId, string topic)
    {
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Persistent(clientId));
        await using (subscriber)
        {
            await subscriber.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic) { MaximumQoS = QualityOfService.ExactlyOnce }] });
            Assert.Equal([ReasonCode.GrantedQoS2], (await subscriber.ReceiveAsync<SubAckPacket>()).ReasonCodes);
            await subscriber.SendAsync(new DisconnectPacket());
            await subscriber.ExpectClosedAsync();
        }
    }

    /// <summary>Reconnects the subscriber and takes everything it was sent, completing each exchange, until every
    /// expected payload arrived and nothing more comes.</summary>
    private static async Task<List<string>> DrainAsync(BrokerProcess broker, string clientId, IReadOnlyCollection<string> expected)
    {
        var received = new List<string>();
        var seen = new HashSet<string>();
        var (subscriber, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Persistent(clientId));
        await using (subscriber)
        {
            Assert.True(connAck.SessionPresent);
            while (true)
            {
                MqttPacket packet;
                try
                {
                    packet = await subscriber.ReceiveAsync(seen.IsSupersetOf(expected) ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(60));
                }
                catch (TimeoutException) when (seen.IsSupersetOf(expected))
                {
                    return received;
                }

                switch (packet)
                {
                    case PublishPacket publish:
                        var text = Encoding.UTF8.GetString(publish.Payload.Span);
                        received.Add(text);
                        seen.Add(text);
                        await subscriber.SendAsync(publish.QoS == QualityOfService.ExactlyOnce
                            ? new PubRecPacket { PacketId = publish.PacketId }
                            : new PubAckPacket { PacketId = publish.PacketId });
                        break;
                    case PubRelPacket release:
                        await subscriber.SendAsync(new PubCompPacket { PacketId = release.PacketId });
                        break;
                    default:
                        Assert.Fail($"unexpected {packet} for the subscriber");
                        break;
                }
            }
        }
    }

    private static void Report(ITestOutputHelper output, string store, int sentBeforeKill, int acknowledgedBeforeKill, StreamPublisher publisher, List<string> received)
    {
        var duplicates = received.Count - received.Distinct().Count();
        output.WriteLine(
            $"{store}: killed after {sentBeforeKill} sent and {acknowledgedBeforeKill} acknowledged; in all: sent {publisher.Sent}, " +
            $"acknowledged {publisher.Acknowledged.Count}, received {received.Count}, duplicates {duplicates} " +
            $"(QoS 2: {received.Where(r => r.StartsWith("q2-", StringComparison.Ordinal)).GroupBy(r => r).Count(g => g.Count() > 1)})");
    }

    private static void AssertDelivered(StreamPublisher publisher, List<string> received)
    {
        var missing = publisher.Acknowledged.Except(received).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged messages never arrived, e.g. {string.Join(", ", missing.Take(10))}");
        var twice = received.Where(r => r.StartsWith("q2-", StringComparison.Ordinal)).GroupBy(r => r).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} QoS 2 messages arrived more than once, e.g. {string.Join(", ", twice.Take(10))}");
        Assert.Equal(Total, publisher.Acknowledged.Count);
    }
}
