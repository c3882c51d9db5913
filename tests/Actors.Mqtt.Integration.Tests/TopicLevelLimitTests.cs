using System.Diagnostics;
using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>
/// <c>actors-mqtt.limits.max-topic-levels = 3</c>: a longer topic is refused for that one PUBLISH or SUBSCRIBE
/// filter, the connection stays, and nothing else changes for it or for other clients.
/// </summary>
public sealed class TopicLevelLimitTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("actors-mqtt-levels-").FullName;
    private readonly string root = $"lv{Guid.NewGuid():N}"[..12];

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private async Task<BrokerProcess> StartAsync()
    {
        var broker = new BrokerProcess(folder, "actors-mqtt.limits.max-topic-levels=3");
        await broker.StartAsync();
        return broker;
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V500, ReasonCode.TopicNameInvalid)]
    [InlineData(MqttProtocolVersion.V311, ReasonCode.Success)]
    [Trait("spec", "MQTT-3.4.2-1")]
    public async Task A_PUBLISH_over_the_limit_is_dropped_and_the_publisher_and_subscribers_go_on(MqttProtocolVersion version, ReasonCode expected)
    {
        await using var broker = await StartAsync();
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect("sub", MqttProtocolVersion.V500));
        await using (subscriber)
        {
            await subscriber.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(root + "/#")] });
            await subscriber.ReceiveAsync<SubAckPacket>();
            var (publisher, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect("pub", version));
            await using (publisher)
            {
                await publisher.SendAsync(Publish($"{root}/b/c/d", "too deep", QualityOfService.AtMostOnce, 0));
                await publisher.SendAsync(Publish($"{root}/b/c/d", "too deep", QualityOfService.AtLeastOnce, 1));
                var refused = await publisher.ReceiveAsync<PubAckPacket>();
                Assert.Equal((1, expected), (refused.PacketId, refused.ReasonCode));

                await publisher.SendAsync(Publish($"{root}/b/c", "fits", QualityOfService.AtLeastOnce, 2));
                var accepted = await publisher.ReceiveAsync<PubAckPacket>();
                Assert.Equal((2, ReasonCode.Success), (accepted.PacketId, accepted.ReasonCode));

                // The dropped messages came first from the same publisher: the first to arrive must be the one that fits.
                var delivered = await subscriber.ReceiveAsync<PublishPacket>();
                Assert.Equal(($"{root}/b/c", "fits"), (delivered.Topic, Encoding.UTF8.GetString(delivered.Payload.Span)));
            }
        }
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V500, ReasonCode.TopicFilterInvalid)]
    [InlineData(MqttProtocolVersion.V311, ReasonCode.UnspecifiedError)]
    [Trait("spec", "MQTT-3.8.4-6")]
    [Trait("spec", "MQTT-3.9.3-1")]
    public async Task A_SUBSCRIBE_filter_over_the_limit_is_refused_and_the_other_filters_are_granted(MqttProtocolVersion version, ReasonCode expected)
    {
        await using var broker = await StartAsync();
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect("sub", version));
        await using (subscriber)
        {
            List<MqttSubscription> filters = [new($"{root}/+/c/#"), new($"{root}/+/c") { MaximumQoS = QualityOfService.AtLeastOnce }];
            if (version == MqttProtocolVersion.V500)
            {
                // A shared subscription's levels are those of its filter, without $share/group.
                filters.Add(new($"$share/group/{root}/x/c"));
            }

            await subscriber.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = filters });
            var subAck = await subscriber.ReceiveAsync<SubAckPacket>();
            Assert.Equal(
                version == MqttProtocolVersion.V500 ? [expected, ReasonCode.GrantedQoS1, ReasonCode.GrantedQoS0] : [expected, ReasonCode.GrantedQoS1],
                subAck.ReasonCodes);

            var (publisher, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect("pub", MqttProtocolVersion.V500));
            await using (publisher)
            {
                await publisher.SendAsync(Publish($"{root}/b/c", "granted", QualityOfService.AtMostOnce, 0));
            }

            var delivered = await subscriber.ReceiveAsync<PublishPacket>();
            Assert.Equal($"{root}/b/c", delivered.Topic);
        }

        await WaitForOutputAsync(broker, $"\"Filter\":\"{root}/+/c/#\",\"MaxTopicLevels\":3");
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V500)]
    [InlineData(MqttProtocolVersion.V311)]
    public async Task A_will_over_the_limit_is_dropped_and_one_within_it_is_published(MqttProtocolVersion version)
    {
        await using var broker = await StartAsync();
        var (watcher, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect("watch", MqttProtocolVersion.V500));
        await using (watcher)
        {
            await watcher.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(root + "/#")] });
            await watcher.ReceiveAsync<SubAckPacket>();

            // Both clients lose their connections without DISCONNECT; only the will that fits the limit may arrive.
            var deep = Connect("deep", version) with { Will = new MqttWill($"{root}/b/c/d", "too deep"u8.ToArray()) };
            var (tooDeep, deepAck) = await RawClient.ConnectAsync(broker.EndPoint, deep);
            Assert.Equal(ReasonCode.Success, deepAck.ReasonCode);
            await tooDeep.DisposeAsync();
            var fits = Connect("fits", version) with { Will = new MqttWill($"{root}/b/c", "fits"u8.ToArray()) };
            var (fitting, _) = await RawClient.ConnectAsync(broker.EndPoint, fits);
            await fitting.DisposeAsync();

            var delivered = await watcher.ReceiveAsync<PublishPacket>();
            Assert.Equal(($"{root}/b/c", "fits"), (delivered.Topic, Encoding.UTF8.GetString(delivered.Payload.Span)));
            await watcher.ExpectNothingAsync(TimeSpan.FromMilliseconds(500));
        }

        await WaitForOutputAsync(broker, $"\"Topic\":\"{root}/b/c/d\",\"MaxTopicLevels\":3");
    }

    private static ConnectPacket Connect(string name, MqttProtocolVersion version) =>
        new() { ProtocolVersion = version, ClientId = $"{name}-{Guid.NewGuid():N}"[..20] };

    private static PublishPacket Publish(string topic, string payload, QualityOfService qos, ushort packetId) =>
        new() { Topic = topic, Payload = Encoding.UTF8.GetBytes(payload), QoS = qos, PacketId = packetId };

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
