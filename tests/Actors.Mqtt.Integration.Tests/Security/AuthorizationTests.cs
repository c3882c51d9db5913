using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Integration.Tests.Security;

/// <summary>The ACL file on PUBLISH, SUBSCRIBE and delivery, in 3.1.1 and 5.0, with raw clients that see every byte.</summary>
public sealed class AuthorizationTests(SecuredBroker broker) : IClassFixture<SecuredBroker>
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    [Theory]
    [InlineData(MqttProtocolVersion.V311, ReasonCode.Success)]
    [InlineData(MqttProtocolVersion.V500, ReasonCode.NotAuthorized)]
    [Trait("spec", "MQTT-3.3.5-2 (3.1.1)")]
    public async Task A_PUBLISH_without_write_access_is_dropped_and_acknowledged_as_the_version_allows(MqttProtocolVersion version, ReasonCode expected)
    {
        await using var alice = await ConnectAsync(version, "alice");
        await Subscribe(alice, 1, "shared/#", QualityOfService.AtLeastOnce);
        await using var bob = await ConnectAsync(version, "bob");

        await bob.SendAsync(new PublishPacket { Topic = "shared/news", QoS = QualityOfService.AtLeastOnce, PacketId = 7, Payload = "q1"u8.ToArray() });
        var ack = await bob.ReceiveAsync<PubAckPacket>();
        Assert.Equal((ushort)7, ack.PacketId);
        Assert.Equal(expected, ack.ReasonCode);

        await bob.SendAsync(new PublishPacket { Topic = "shared/news", QoS = QualityOfService.ExactlyOnce, PacketId = 8, Payload = "q2"u8.ToArray() });
        var rec = await bob.ReceiveAsync<PubRecPacket>();
        Assert.Equal(expected, rec.ReasonCode);
        if (version != MqttProtocolVersion.V500)
        {
            // 3.1.1 cannot tell the client, so the exchange completes as if the message had gone through.
            await bob.SendAsync(new PubRelPacket { PacketId = 8 });
            Assert.Equal((ushort)8, (await bob.ReceiveAsync<PubCompPacket>()).PacketId);
        }

        await alice.ExpectNothingAsync(Quiet);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, ReasonCode.UnspecifiedError)]
    [InlineData(MqttProtocolVersion.V500, ReasonCode.NotAuthorized)]
    [Trait("spec", "MQTT-3.8.4-7")]
    [Trait("spec", "MQTT-3.9.3-1")]
    public async Task A_SUBSCRIBE_filter_without_read_access_is_refused_and_the_others_are_granted(MqttProtocolVersion version, ReasonCode refused)
    {
        await using var alice = await ConnectAsync(version, "alice");

        // 3.1.1's only failure code is 0x80, which reads back as UnspecifiedError.
        var codes = await Subscribe(alice, 3, ["alice/#", "bob/#", "shared/+/x", "shared/secret"], QualityOfService.AtLeastOnce);

        Assert.Equal([ReasonCode.GrantedQoS1, refused, ReasonCode.GrantedQoS1, refused], codes);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_subscription_does_not_deliver_a_topic_the_subscriber_may_not_read(MqttProtocolVersion version)
    {
        await using var alice = await ConnectAsync(version, "alice");
        await Subscribe(alice, 1, "shared/#", QualityOfService.AtLeastOnce);
        await using var carol = await ConnectAsync(version, "carol");

        await carol.SendAsync(new PublishPacket { Topic = "shared/secret", QoS = QualityOfService.AtLeastOnce, PacketId = 1, Payload = "hidden"u8.ToArray() });
        Assert.Equal(ReasonCode.Success, (await carol.ReceiveAsync<PubAckPacket>()).ReasonCode);
        await carol.SendAsync(new PublishPacket { Topic = "shared/news", QoS = QualityOfService.AtLeastOnce, PacketId = 2, Payload = "visible"u8.ToArray() });
        Assert.Equal(ReasonCode.Success, (await carol.ReceiveAsync<PubAckPacket>()).ReasonCode);

        var delivered = await alice.ReceiveAsync<PublishPacket>();
        Assert.Equal("shared/news", delivered.Topic);
        await alice.SendAsync(new PubAckPacket { PacketId = delivered.PacketId });
        await alice.ExpectNothingAsync(Quiet);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_will_on_a_topic_its_client_may_not_write_is_never_published(MqttProtocolVersion version)
    {
        await using var alice = await ConnectAsync(version, "alice");
        var suffix = Guid.NewGuid().ToString("N")[..8];
        await Subscribe(alice, 1, $"shared/{suffix}/#", QualityOfService.AtMostOnce);

        // Both lose their network without DISCONNECT; only carol may write below shared/.
        await (await ConnectAsync(version, "bob", will: new MqttWill($"shared/{suffix}/bob", "gone"u8.ToArray()))).DisposeAsync();
        await (await ConnectAsync(version, "carol", will: new MqttWill($"shared/{suffix}/carol", "gone"u8.ToArray()))).DisposeAsync();

        Assert.Equal($"shared/{suffix}/carol", (await alice.ReceiveAsync<PublishPacket>()).Topic);
        await alice.ExpectNothingAsync(Quiet);
    }

    [Fact]
    public async Task A_refused_retained_PUBLISH_is_not_retained()
    {
        var topic = $"shared/retained/{Guid.NewGuid():N}";
        await using (var bob = await ConnectAsync(MqttProtocolVersion.V500, "bob"))
        {
            await bob.SendAsync(new PublishPacket { Topic = topic, QoS = QualityOfService.AtLeastOnce, PacketId = 1, Retain = true, Payload = "refused"u8.ToArray() });
            Assert.Equal(ReasonCode.NotAuthorized, (await bob.ReceiveAsync<PubAckPacket>()).ReasonCode);
        }

        await using var alice = await ConnectAsync(MqttProtocolVersion.V500, "alice");
        await Subscribe(alice, 1, topic, QualityOfService.AtMostOnce);
        await alice.ExpectNothingAsync(Quiet);
    }

    [Theory]
    [InlineData(MQTTnet.Formatter.MqttProtocolVersion.V311, MQTTnet.MqttClientSubscribeResultCode.UnspecifiedError)]
    [InlineData(MQTTnet.Formatter.MqttProtocolVersion.V500, MQTTnet.MqttClientSubscribeResultCode.NotAuthorized)]
    public async Task MQTTnet_sees_a_refused_subscription_beside_a_granted_one(MQTTnet.Formatter.MqttProtocolVersion version, MQTTnet.MqttClientSubscribeResultCode refused)
    {
        await using var alice = await TestClient.ConnectAsync(broker.Broker, version, configure: o => o.WithCredentials("alice", "alice-pw"));

        var result = await alice.Client.SubscribeAsync(new MQTTnet.MqttClientSubscribeOptionsBuilder().WithTopicFilter("alice/#").WithTopicFilter("bob/#").Build());

        Assert.Equal([MQTTnet.MqttClientSubscribeResultCode.GrantedQoS0, refused], result.Items.Select(i => i.ResultCode));
    }

    [Fact]
    public async Task Patterns_give_each_client_its_own_client_id_and_username_levels()
    {
        await using var bob = await ConnectAsync(MqttProtocolVersion.V500, "bob", "dev-1");

        await bob.SendAsync(new PublishPacket { Topic = "clients/dev-1/state", QoS = QualityOfService.AtLeastOnce, PacketId = 1, Payload = "on"u8.ToArray() });
        // Accepted; nobody subscribed to it.
        Assert.Equal(ReasonCode.NoMatchingSubscribers, (await bob.ReceiveAsync<PubAckPacket>()).ReasonCode);
        await bob.SendAsync(new PublishPacket { Topic = "clients/dev-2/state", QoS = QualityOfService.AtLeastOnce, PacketId = 2, Payload = "on"u8.ToArray() });
        Assert.Equal(ReasonCode.NotAuthorized, (await bob.ReceiveAsync<PubAckPacket>()).ReasonCode);

        var codes = await Subscribe(bob, 3, ["inbox/bob/#", "inbox/alice/#"], QualityOfService.AtMostOnce);
        Assert.Equal([ReasonCode.GrantedQoS0, ReasonCode.NotAuthorized], codes);
    }

    private async Task<RawClient> ConnectAsync(MqttProtocolVersion version, string user, string? clientId = null, MqttWill? will = null)
    {
        var (client, connAck) = await RawClient.ConnectAsync(broker.Broker.EndPoint, new ConnectPacket
        {
            ProtocolVersion = version,
            ClientId = clientId ?? user + "-" + Guid.NewGuid().ToString("N")[..8],
            UserName = user,
            Password = System.Text.Encoding.UTF8.GetBytes(user + "-pw"),
            Will = will,
        });
        Assert.Equal(ReasonCode.Success, connAck.ReasonCode);
        return client;
    }

    private static Task<IReadOnlyList<ReasonCode>> Subscribe(RawClient client, ushort packetId, string filter, QualityOfService qos) =>
        Subscribe(client, packetId, [filter], qos);

    private static async Task<IReadOnlyList<ReasonCode>> Subscribe(RawClient client, ushort packetId, string[] filters, QualityOfService qos)
    {
        await client.SendAsync(new SubscribePacket
        {
            PacketId = packetId,
            Subscriptions = filters.Select(f => new MqttSubscription(f) { MaximumQoS = qos }).ToList(),
        });
        var ack = await client.ReceiveAsync<SubAckPacket>();
        Assert.Equal(packetId, ack.PacketId);
        return ack.ReasonCodes;
    }
}
