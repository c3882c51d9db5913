using System.Diagnostics;
using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>
/// <c>actors-mqtt.limits.max-subscriptions = 2</c>: a filter that would be a session's third subscription is
/// refused in SUBACK, while its two subscriptions and other clients' go on.
/// </summary>
public sealed class SubscriptionLimitTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("actors-mqtt-subs-").FullName;
    private readonly string root = $"sb{Guid.NewGuid():N}"[..12];

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Theory]
    [InlineData(MqttProtocolVersion.V500, ReasonCode.QuotaExceeded)]
    [InlineData(MqttProtocolVersion.V311, ReasonCode.UnspecifiedError)]
    [Trait("spec", "MQTT-3.8.4-6")]
    [Trait("spec", "MQTT-3.9.3-1")]
    public async Task A_filter_over_max_subscriptions_is_refused_and_the_held_subscriptions_and_other_clients_are_unaffected(MqttProtocolVersion version, ReasonCode refused)
    {
        await using var broker = new BrokerProcess(folder, "actors-mqtt.limits.max-subscriptions=2");
        await broker.StartAsync();
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect("client", version));
        await using (client)
        {
            Assert.Equal([ReasonCode.GrantedQoS0, ReasonCode.GrantedQoS0, refused], await SubscribeAsync(client, 1, $"{root}/a", $"{root}/b", $"{root}/c"));

            // Subscribing again to a held filter replaces it; it is not a third subscription.
            Assert.Equal([ReasonCode.GrantedQoS0, refused], await SubscribeAsync(client, 2, $"{root}/a", $"{root}/d"));

            // Another client has a quota of its own.
            var (other, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect("other", MqttProtocolVersion.V500));
            await using (other)
            {
                Assert.Equal([ReasonCode.GrantedQoS0, ReasonCode.GrantedQoS0], await SubscribeAsync(other, 1, $"{root}/c", $"{root}/d"));
            }

            // A place freed by UNSUBSCRIBE is a place for a new filter.
            await client.SendAsync(new UnsubscribePacket { PacketId = 3, TopicFilters = [$"{root}/b"] });
            await client.ReceiveAsync<UnsubAckPacket>();
            Assert.Equal([ReasonCode.GrantedQoS0], await SubscribeAsync(client, 4, $"{root}/d"));

            var (publisher, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect("pub", MqttProtocolVersion.V500));
            await using (publisher)
            {
                foreach (var topic in new[] { "c", "a", "d" })
                {
                    await publisher.SendAsync(new PublishPacket { Topic = $"{root}/{topic}", Payload = Encoding.UTF8.GetBytes(topic) });
                }
            }

            Assert.Equal($"{root}/a", (await client.ReceiveAsync<PublishPacket>()).Topic);
            Assert.Equal($"{root}/d", (await client.ReceiveAsync<PublishPacket>()).Topic);
        }

        await WaitForOutputAsync(broker, $"\"Filter\":\"{root}/c\",\"MaxSubscriptions\":2");
    }

    private static async Task<IReadOnlyList<ReasonCode>> SubscribeAsync(RawClient client, ushort packetId, params string[] filters)
    {
        await client.SendAsync(new SubscribePacket { PacketId = packetId, Subscriptions = [.. filters.Select(f => new MqttSubscription(f))] });
        var subAck = await client.ReceiveAsync<SubAckPacket>();
        Assert.Equal(packetId, subAck.PacketId);
        return subAck.ReasonCodes;
    }

    private static ConnectPacket Connect(string name, MqttProtocolVersion version) =>
        new() { ProtocolVersion = version, ClientId = $"{name}-{Guid.NewGuid():N}"[..20] };

    private static async Task WaitForOutputAsync(BrokerProcess broker, string text)
    {
        var deadline = Stopwatch.StartNew();
        while (!broker.Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"the broker did not log '{text}':\n{broker.Output}");
            await Task.Delay(100);
        }
    }
}
