using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>The broker as the sender of QoS 1 and 2 messages, seen packet by packet from a client that acknowledges by hand.</summary>
public class DeliveryFlowTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(700);

    [Fact]
    [Trait("spec", "MQTT-4.3.3-1")]
    [Trait("spec", "MQTT-4.3.3-2")]
    [Trait("spec", "MQTT-4.3.3-3")]
    [Trait("spec", "MQTT-4.3.3-4")]
    [Trait("spec", "MQTT-4.3.3-5")]
    [Trait("spec", "MQTT-4.3.3-6")]
    public async Task The_broker_completes_the_QoS_2_exchange_as_sender_and_never_resends_the_PUBLISH_after_PUBREL()
    {
        var topic = $"flow/qos2/{Guid.NewGuid():N}";
        await using var client = await SubscribedAsync(topic, QualityOfService.ExactlyOnce);
        await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V500);

        await publisher.PublishAsync(topic, "exactly once", MqttQualityOfServiceLevel.ExactlyOnce);

        var publish = await client.ReceiveAsync<PublishPacket>();
        Assert.Equal((QualityOfService.ExactlyOnce, false), (publish.QoS, publish.Dup));
        Assert.NotEqual(0, publish.PacketId);
        await client.SendAsync(new PubRecPacket { PacketId = publish.PacketId });
        Assert.Equal(publish.PacketId, (await client.ReceiveAsync<PubRelPacket>()).PacketId);
        await client.SendAsync(new PubCompPacket { PacketId = publish.PacketId });
        await client.ExpectNothingAsync(Quiet);
    }

    [Fact]
    [Trait("spec", "MQTT-4.4.0-2")]
    [Trait("spec", "MQTT-4.3.3-9")]
    public async Task A_PUBREC_with_a_failure_code_ends_the_exchange_without_PUBREL_and_frees_the_window()
    {
        var topic = $"flow/refused/{Guid.NewGuid():N}";
        await using var client = await SubscribedAsync(topic, QualityOfService.ExactlyOnce, receiveMaximum: 1);
        await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V500);
        await publisher.PublishAsync(topic, "refused", MqttQualityOfServiceLevel.ExactlyOnce);
        await publisher.PublishAsync(topic, "next", MqttQualityOfServiceLevel.ExactlyOnce);

        var first = await client.ReceiveAsync<PublishPacket>();
        Assert.Equal("refused", Encoding.UTF8.GetString(first.Payload.Span));
        await client.SendAsync(new PubRecPacket { PacketId = first.PacketId, ReasonCode = ReasonCode.UnspecifiedError });

        // No PUBREL for the refused one: the next message takes its place in the window of one.
        var next = await client.ReceiveAsync<PublishPacket>();
        Assert.Equal("next", Encoding.UTF8.GetString(next.Payload.Span));
    }

    [Fact]
    [Trait("spec", "MQTT-4.6.0-5")]
    [Trait("spec", "MQTT-4.6.0-6")]
    [Trait("spec", "MQTT-4.3.2-1")]
    [Trait("spec", "MQTT-4.3.2-3")]
    public async Task Messages_of_one_publisher_on_one_topic_arrive_in_the_order_they_were_sent()
    {
        const int Count = 200;
        var topic = $"flow/order/{Guid.NewGuid():N}";
        await using var client = await SubscribedAsync(topic, QualityOfService.AtLeastOnce);
        await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V311);
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < Count; i++)
            {
                await publisher.PublishAsync(topic, i.ToString(System.Globalization.CultureInfo.InvariantCulture), MqttQualityOfServiceLevel.AtLeastOnce);
            }
        });

        // Acknowledged in rounds of 50 (the broker's window is 100), so that many are unacknowledged at once.
        const int Round = 50;
        for (var round = 0; round < Count / Round; round++)
        {
            var inFlight = new HashSet<ushort>();
            for (var i = round * Round; i < (round + 1) * Round; i++)
            {
                var publish = await client.ReceiveAsync<PublishPacket>();
                Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetString(publish.Payload.Span));

                // A packet identifier is never given to a second message while the first is unacknowledged.
                Assert.True(inFlight.Add(publish.PacketId), $"packet id {publish.PacketId} reused while in flight");
            }

            foreach (var id in inFlight)
            {
                await client.SendAsync(new PubAckPacket { PacketId = id });
            }
        }

        await sending;
    }

    [Fact]
    [Trait("spec", "MQTT-3.2.0-2")]
    public async Task A_connection_gets_exactly_one_CONNACK()
    {
        await using var client = await SubscribedAsync($"flow/connack/{Guid.NewGuid():N}", QualityOfService.AtMostOnce);
        await client.SendAsync(PingReqPacket.Instance);
        await client.ReceiveAsync<PingRespPacket>();
        await client.ExpectNothingAsync(Quiet);
    }

    private async Task<RawClient> SubscribedAsync(string topic, QualityOfService qos, ushort? receiveMaximum = null)
    {
        var (client, connAck) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V500,
            ClientId = "flow-" + Guid.NewGuid().ToString("N")[..12],
            Properties = receiveMaximum is { } max ? new MqttProperties { ReceiveMaximum = max } : null,
        });
        Assert.Equal(ReasonCode.Success, connAck.ReasonCode);
        await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic) { MaximumQoS = qos }] });
        await client.ReceiveAsync<SubAckPacket>();
        return client;
    }
}
