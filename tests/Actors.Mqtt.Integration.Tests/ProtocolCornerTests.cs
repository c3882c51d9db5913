using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>
/// Corners of the protocol a well-behaved client rarely reaches, on real sockets: the reason codes of acknowledgements,
/// authentication methods the broker does not offer, messages too large for their receiver, and acknowledgements that
/// do not fit the flow they name.
/// </summary>
public class ProtocolCornerTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(700);

    [Theory]
    [InlineData(QualityOfService.AtLeastOnce)]
    [InlineData(QualityOfService.ExactlyOnce)]
    [Trait("spec", "MQTT-3.4.2-1")]
    [Trait("spec", "MQTT-3.5.2-1")]
    public async Task An_MQTT_5_publish_nobody_subscribed_to_is_acknowledged_with_0x10_no_matching_subscribers(QualityOfService qos)
    {
        var topic = "nobody/" + Guid.NewGuid().ToString("N");
        var (publisher, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(MqttProtocolVersion.V500));
        await using (publisher)
        {
            await publisher.SendAsync(new PublishPacket { Topic = topic, Payload = "x"u8.ToArray(), QoS = qos, PacketId = 3 });
            Assert.Equal(ReasonCode.NoMatchingSubscribers, await AcknowledgementAsync(publisher, qos, 3));

            // With a subscriber the same message is a plain success.
            await using var subscriber = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V500);
            await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtMostOnce);
            await publisher.SendAsync(new PublishPacket { Topic = topic, Payload = "y"u8.ToArray(), QoS = qos, PacketId = 4 });
            Assert.Equal(ReasonCode.Success, await AcknowledgementAsync(publisher, qos, 4));
            Assert.Equal("y", TestClient.Text(await subscriber.NextAsync()));
        }
    }

    [Theory]
    [InlineData(QualityOfService.AtLeastOnce)]
    [InlineData(QualityOfService.ExactlyOnce)]
    public async Task An_MQTT_3_1_1_publish_nobody_subscribed_to_is_acknowledged_without_a_reason_code(QualityOfService qos)
    {
        var (publisher, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(MqttProtocolVersion.V311));
        await using (publisher)
        {
            await publisher.SendAsync(new PublishPacket { Topic = "nobody/" + Guid.NewGuid().ToString("N"), Payload = "x"u8.ToArray(), QoS = qos, PacketId = 3 });

            // The 3.1.1 decoder fails on a reason code byte: an acknowledgement of 3.1.1 is two bytes of packet id.
            Assert.Equal(ReasonCode.Success, await AcknowledgementAsync(publisher, qos, 3));
        }
    }

    [Fact]
    public async Task A_PUBREL_for_an_unknown_id_from_an_MQTT_3_1_1_client_gets_a_PUBCOMP_without_a_reason_code()
    {
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(MqttProtocolVersion.V311));
        await using (client)
        {
            await client.SendAsync(new PubRelPacket { PacketId = 9 });

            // Decoded as 3.1.1, a PUBCOMP with 0x92 would fail as longer than its content.
            var comp = await client.ReceiveAsync<PubCompPacket>();
            Assert.Equal((9, ReasonCode.Success), (comp.PacketId, comp.ReasonCode));
        }
    }

    [Fact]
    [Trait("spec", "MQTT-4.12.0-1")]
    public async Task A_CONNECT_with_an_authentication_method_the_broker_does_not_support_gets_0x8C_and_is_closed()
    {
        var client = await RawClient.OpenAsync(broker.EndPoint);
        await using (client)
        {
            await client.SendAsync(Connect(MqttProtocolVersion.V500) with
            {
                Properties = new MqttProperties { AuthenticationMethod = "SCRAM-SHA-1", AuthenticationData = new byte[] { 1, 2, 3 } },
            });
            var connAck = await client.ReceiveAsync<ConnAckPacket>();
            Assert.Equal(ReasonCode.BadAuthenticationMethod, connAck.ReasonCode);
            Assert.Empty(await client.ExpectClosedAsync());
        }
    }

    [Theory]
    [InlineData(QualityOfService.AtLeastOnce)]
    [InlineData(QualityOfService.ExactlyOnce)]
    [Trait("spec", "MQTT-3.1.2-25")]
    public async Task A_message_larger_than_the_subscribers_maximum_packet_size_is_skipped_and_holds_up_nothing_behind_it(QualityOfService qos)
    {
        var topic = "small/" + Guid.NewGuid().ToString("N");
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(MqttProtocolVersion.V500) with
        {
            Properties = new MqttProperties { MaximumPacketSize = 128, ReceiveMaximum = 1 },
        });
        await using (subscriber)
        {
            await subscriber.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic) { MaximumQoS = qos }] });
            await subscriber.ReceiveAsync<SubAckPacket>();
            await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V500);

            // A window of one: the large message, were it waiting for an acknowledgement, would hold back all the others.
            await publisher.PublishAsync(topic, new string('L', 400), (MqttQualityOfServiceLevel)qos);
            for (var i = 0; i < 3; i++)
            {
                await publisher.PublishAsync(topic, "small-" + i, (MqttQualityOfServiceLevel)qos);
            }

            for (var i = 0; i < 3; i++)
            {
                var publish = await subscriber.ReceiveAsync<PublishPacket>();
                Assert.Equal("small-" + i, System.Text.Encoding.UTF8.GetString(publish.Payload.Span));
                if (qos == QualityOfService.AtLeastOnce)
                {
                    await subscriber.SendAsync(new PubAckPacket { PacketId = publish.PacketId });
                }
                else
                {
                    await subscriber.SendAsync(new PubRecPacket { PacketId = publish.PacketId });
                    await subscriber.ReceiveAsync<PubRelPacket>();
                    await subscriber.SendAsync(new PubCompPacket { PacketId = publish.PacketId });
                }
            }

            await subscriber.ExpectNothingAsync(Quiet);
        }
    }

    [Theory]
    [InlineData("PUBREC for a QoS 1 message")]
    [InlineData("PUBCOMP for a QoS 1 message")]
    [InlineData("PUBACK for a QoS 2 message")]
    [InlineData("PUBCOMP for a QoS 2 message before PUBREC")]
    [Trait("spec", "MQTT-4.13.1-1")]
    public async Task An_acknowledgement_that_does_not_fit_its_message_flow_closes_the_connection_with_0x82(string wrong)
    {
        var qos = wrong.EndsWith("QoS 1 message", StringComparison.Ordinal) ? QualityOfService.AtLeastOnce : QualityOfService.ExactlyOnce;
        var topic = "flow/" + Guid.NewGuid().ToString("N");
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(MqttProtocolVersion.V500));
        await using (subscriber)
        {
            await subscriber.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic) { MaximumQoS = qos }] });
            await subscriber.ReceiveAsync<SubAckPacket>();
            await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V500);
            await publisher.PublishAsync(topic, "m", (MqttQualityOfServiceLevel)qos);
            var id = (await subscriber.ReceiveAsync<PublishPacket>()).PacketId;

            await subscriber.SendAsync(wrong switch
            {
                "PUBREC for a QoS 1 message" => new PubRecPacket { PacketId = id },
                "PUBACK for a QoS 2 message" => new PubAckPacket { PacketId = id },
                _ => new PubCompPacket { PacketId = id },
            });
            var disconnect = Assert.IsType<DisconnectPacket>(Assert.Single(await subscriber.ExpectClosedAsync()));
            Assert.Equal(ReasonCode.ProtocolError, disconnect.ReasonCode);
        }
    }

    private static async Task<ReasonCode> AcknowledgementAsync(RawClient client, QualityOfService qos, ushort packetId)
    {
        if (qos == QualityOfService.AtLeastOnce)
        {
            var ack = await client.ReceiveAsync<PubAckPacket>();
            Assert.Equal(packetId, ack.PacketId);
            return ack.ReasonCode;
        }

        var rec = await client.ReceiveAsync<PubRecPacket>();
        Assert.Equal(packetId, rec.PacketId);
        await client.SendAsync(new PubRelPacket { PacketId = packetId });
        Assert.Equal(packetId, (await client.ReceiveAsync<PubCompPacket>()).PacketId);
        return rec.ReasonCode;
    }

    private static ConnectPacket Connect(MqttProtocolVersion version) => new()
    {
        ProtocolVersion = version,
        ClientId = "corner-" + Guid.NewGuid().ToString("N")[..12],
        CleanSession = true,
    };
}
