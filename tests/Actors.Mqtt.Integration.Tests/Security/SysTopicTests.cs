using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Integration.Tests.Security;

/// <summary>
/// <c>$SYS/...</c> belongs to the broker: clients read it, and no client may write it, as in Mosquitto, whatever the
/// ACL says; neither by PUBLISH nor by a will.
/// </summary>
public class SysTopicTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(700);

    [Theory]
    [InlineData(MqttProtocolVersion.V311, ReasonCode.Success)]
    [InlineData(MqttProtocolVersion.V500, ReasonCode.NotAuthorized)]
    public async Task A_client_cannot_publish_to_SYS(MqttProtocolVersion version, ReasonCode expected)
    {
        var topic = "$SYS/broker/fake-" + Guid.NewGuid().ToString("N")[..8];

        // The topic itself: the broker publishes its own $SYS topics all along.
        await using var watcher = await SubscribeAsync(topic);
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version));
        await using (client)
        {
            // 3.1.1 cannot refuse in PUBACK: the message is acknowledged and dropped, as a PUBLISH the ACL denies.
            await client.SendAsync(new PublishPacket { Topic = topic, Payload = "forged"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = 1, Retain = true });
            Assert.Equal(expected, (await client.ReceiveAsync<PubAckPacket>()).ReasonCode);
            await client.SendAsync(new PublishPacket { Topic = topic, Payload = "forged"u8.ToArray() });
            await watcher.ExpectNothingAsync(Quiet);
        }

        // Nor was it retained.
        await using var late = await SubscribeAsync(topic);
        await late.ExpectNothingAsync(Quiet);
    }

    [Fact]
    public async Task A_will_to_SYS_is_never_published()
    {
        var topic = "$SYS/broker/will-" + Guid.NewGuid().ToString("N")[..8];
        await using var watcher = await SubscribeAsync(topic);
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(MqttProtocolVersion.V311) with
        {
            Will = new MqttWill(topic, "forged"u8.ToArray()),
        });

        // Dropped without DISCONNECT: the will would be due now.
        await client.DisposeAsync();
        await watcher.ExpectNothingAsync(Quiet);
    }

    private async Task<RawClient> SubscribeAsync(string filter)
    {
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(MqttProtocolVersion.V500));
        await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(filter)] });
        await client.ReceiveAsync<SubAckPacket>();
        return client;
    }

    private static ConnectPacket Connect(MqttProtocolVersion version) => new()
    {
        ProtocolVersion = version,
        ClientId = "sys-" + Guid.NewGuid().ToString("N")[..12],
        CleanSession = true,
    };
}
