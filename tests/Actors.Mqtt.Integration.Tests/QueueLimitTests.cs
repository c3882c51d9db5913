using System.Diagnostics.Metrics;
using System.Text;
using Actors.Mqtt.Broker;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using V = Actors.Mqtt.Protocol.MqttProtocolVersion;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>
/// A session's queue of QoS 1 and 2 messages is bounded by count and by payload bytes: past either limit the newest
/// message is refused (Mosquitto's policy), counted in a metric tagged with the limit, and the messages already queued
/// are still delivered.
/// </summary>
public sealed class QueueLimitTests
{
    [Fact]
    public async Task Past_max_queued_messages_the_newest_messages_are_refused_and_counted()
    {
        using var dropped = new DroppedCounter();

        var received = await QueueWhileOfflineAsync("actors-mqtt.limits.max-queued-messages=3", payloadSize: 10, count: 6);

        Assert.Equal(["m0", "m1", "m2"], received.Select(p => p[..2]));
        Assert.True(dropped.Of("max-queued-messages") >= 3, $"counted {dropped.Of("max-queued-messages")} refused by count");
    }

    [Fact]
    public async Task Past_max_queued_bytes_the_newest_messages_are_refused_and_counted()
    {
        using var dropped = new DroppedCounter();

        // 40-byte payloads: two fit in 100 bytes, the third would make 120.
        var received = await QueueWhileOfflineAsync("actors-mqtt.limits.max-queued-bytes=100", payloadSize: 40, count: 4);

        Assert.Equal(["m0", "m1"], received.Select(p => p[..2]));
        Assert.True(dropped.Of("max-queued-bytes") >= 2, $"counted {dropped.Of("max-queued-bytes")} refused by size");
    }

    [Fact]
    public async Task A_streak_of_refusals_is_logged_once_with_its_counts()
    {
        var directory = Directory.CreateTempSubdirectory("actors-mqtt-queue-limit-").FullName;
        try
        {
            await using var broker = new BrokerProcess(directory, "actors-mqtt.persistence.store=memory", "actors-mqtt.limits.max-queued-messages=2");
            await broker.StartAsync();

            var received = await QueueWhileOfflineAsync(broker.EndPoint, payloadSize: 10, count: 7);

            Assert.Equal(["m0", "m1"], received.Select(p => p[..2]));
            var lines = broker.Output.Split('\n').Where(l => l.Contains("queue full", StringComparison.Ordinal)).ToList();
            var line = Assert.Single(lines);
            Assert.Contains("\"Dropped\":1,", line, StringComparison.Ordinal);
            Assert.Contains("\"MaxMessages\":2,", line, StringComparison.Ordinal);
            Assert.DoesNotContain("m0", line, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>On a broker with <paramref name="limit"/>, subscribes a persistent session, sends it <paramref name="count"/>
    /// QoS 1 messages while it is offline (each acknowledged to the publisher, kept or not), and returns the payloads it
    /// receives when it comes back.</summary>
    private static async Task<List<string>> QueueWhileOfflineAsync(string limit, int payloadSize, int count)
    {
        var broker = new BrokerFixture { Overrides = [limit] };
        await broker.InitializeAsync();
        try
        {
            return await QueueWhileOfflineAsync(broker.EndPoint, payloadSize, count);
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    private static async Task<List<string>> QueueWhileOfflineAsync(System.Net.IPEndPoint broker, int payloadSize, int count)
    {
        var id = "q-" + Guid.NewGuid().ToString("N")[..16];
        var topic = $"queue-limit/{Guid.NewGuid():N}";
        var (subscriber, _) = await RawClient.ConnectAsync(broker, new ConnectPacket { ProtocolVersion = V.V311, ClientId = id, CleanSession = false });
        await using (subscriber)
        {
            await subscriber.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic) { MaximumQoS = QualityOfService.AtLeastOnce }] });
            await subscriber.ReceiveAsync<SubAckPacket>();
            await subscriber.SendAsync(new DisconnectPacket());
        }

        var (publisher, _) = await RawClient.ConnectAsync(broker, new ConnectPacket { ProtocolVersion = V.V311, ClientId = "p-" + id });
        await using (publisher)
        {
            for (var i = 0; i < count; i++)
            {
                var payload = Encoding.UTF8.GetBytes($"m{i}".PadRight(payloadSize, '.'));
                await publisher.SendAsync(new PublishPacket { Topic = topic, Payload = payload, QoS = QualityOfService.AtLeastOnce, PacketId = (ushort)(i + 1) });
                Assert.Equal(i + 1, (await publisher.ReceiveAsync<PubAckPacket>()).PacketId);
            }
        }

        var (resumed, connAck) = await RawClient.ConnectAsync(broker, new ConnectPacket { ProtocolVersion = V.V311, ClientId = id, CleanSession = false });
        await using (resumed)
        {
            Assert.True(connAck.SessionPresent);
            return await resumed.DrainAsync(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Listens to the broker's counter of dropped messages, for the reasons of a full queue, while a test runs
    /// (other tests in the process may add to it too, so a test asserts at least its own drops).</summary>
    private sealed class DroppedCounter : IDisposable
    {
        private readonly MeterListener listener = new();
        private long byCount;
        private long bySize;

        public DroppedCounter()
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == BrokerMetrics.MeterName && instrument.Name == BrokerMetrics.MessagesDroppedName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "reason" && tag.Value is "max-queued-messages")
                    {
                        Interlocked.Add(ref byCount, value);
                    }
                    else if (tag.Key == "reason" && tag.Value is "max-queued-bytes")
                    {
                        Interlocked.Add(ref bySize, value);
                    }
                }
            });
            listener.Start();
        }

        public long Of(string limit) => limit == "max-queued-messages" ? Interlocked.Read(ref byCount) : Interlocked.Read(ref bySize);

        public void Dispose() => listener.Dispose();
    }
}
