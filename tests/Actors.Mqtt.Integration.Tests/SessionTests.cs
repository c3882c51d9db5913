using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using MQTTnet.Protocol;
using V = Actors.Mqtt.Protocol.MqttProtocolVersion;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>
/// Sessions, CONNECT and wills on a real socket: a <see cref="RawClient"/> plays the client whose session is under
/// test (it acknowledges nothing unless told to), MQTTnet clients publish and watch.
/// </summary>
public class SessionTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(700);

    public static TheoryData<V> PersistentVersions() => [V.V311, V.V500];

    // ---- CONNACK session present, clean start ----

    [Theory]
    [MemberData(nameof(PersistentVersions))]
    [Trait("spec", "MQTT-3.2.2-2")]
    [Trait("spec", "MQTT-3.2.2-3")]
    [Trait("spec", "MQTT-3.1.2-5")]
    [Trait("spec", "MQTT-3.1.2-6")]
    public async Task Session_present_is_0_for_a_new_session_and_1_when_a_persistent_one_is_resumed(V version)
    {
        var id = NewId();
        var (first, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        Assert.Equal(ReasonCode.Success, connAck.ReasonCode);
        Assert.False(connAck.SessionPresent);
        await DisconnectAsync(first);

        var (second, resumed) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        await using (second)
        {
            Assert.True(resumed.SessionPresent);
            await DisconnectAsync(second);
        }

        var (third, fresh) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: true));
        await using (third)
        {
            Assert.False(fresh.SessionPresent);
        }
    }

    [Theory]
    [MemberData(nameof(PersistentVersions))]
    [Trait("spec", "MQTT-3.1.2-4")]
    [Trait("spec", "MQTT-3.1.4-4")]
    public async Task Clean_start_discards_the_old_session_with_its_subscriptions_and_queued_messages(V version)
    {
        var id = NewId();
        var topic = NewTopic("clean");
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        await SubscribeAsync(client, topic, QualityOfService.AtLeastOnce);
        await DisconnectAsync(client);
        await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V311);
        await publisher.PublishAsync(topic, "queued while offline", MqttQualityOfServiceLevel.AtLeastOnce);

        var (again, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: true, expiry: 60));
        await using (again)
        {
            Assert.False(connAck.SessionPresent);

            // A new publisher: its first message goes through the topic tree's guardian, behind the removal of the old
            // subscriptions (a publisher that already sends to the subtree directly can overtake it, see the closing note).
            await using var later = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V311);
            await later.PublishAsync(topic, "after the clean start", MqttQualityOfServiceLevel.AtLeastOnce);
            await again.ExpectNothingAsync(Quiet);
        }
    }

    /// <summary>
    /// The subscriptions of a persistent session outlive the connection. QoS 0 published while the client is offline
    /// is not queued (the chosen behaviour, Mosquitto's default <c>queue_qos0_messages false</c>).
    /// </summary>
    [Theory]
    [MemberData(nameof(PersistentVersions))]
    [Trait("spec", "MQTT-3.1.2-23")]
    public async Task A_persistent_session_keeps_its_subscriptions_but_not_QoS_0_sent_while_offline(V version)
    {
        var id = NewId();
        var topic = NewTopic("offline");
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        await SubscribeAsync(client, topic, QualityOfService.AtMostOnce);
        await DisconnectAsync(client);
        await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V500);
        await publisher.PublishAsync(topic, "while offline", MqttQualityOfServiceLevel.AtMostOnce);

        var (again, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        await using (again)
        {
            Assert.True(connAck.SessionPresent);
            await again.ExpectNothingAsync(Quiet);

            // No new SUBSCRIBE: the one from before the reconnect still routes.
            await publisher.PublishAsync(topic, "live", MqttQualityOfServiceLevel.AtMostOnce);
            Assert.Equal("live", Text(await again.ReceiveAsync<PublishPacket>()));
        }
    }

    // ---- inbound QoS 2: exactly once ----

    [Theory]
    [MemberData(nameof(PersistentVersions))]
    [Trait("spec", "MQTT-4.3.3-10")]
    [Trait("spec", "MQTT-4.3.3-12")]
    public async Task A_QoS_2_PUBLISH_sent_again_before_PUBREL_is_delivered_once_and_after_PUBCOMP_its_id_is_new(V version)
    {
        var topic = NewTopic("exactly-once");
        await using var subscriber = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V500);
        await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.ExactlyOnce);
        var (publisher, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, NewId()));
        await using (publisher)
        {
            var publish = new PublishPacket { Topic = topic, Payload = "first"u8.ToArray(), QoS = QualityOfService.ExactlyOnce, PacketId = 7 };
            await publisher.SendAsync(publish);
            Assert.Equal(7, (await publisher.ReceiveAsync<PubRecPacket>()).PacketId);
            await publisher.SendAsync(publish with { Dup = true });
            Assert.Equal(7, (await publisher.ReceiveAsync<PubRecPacket>()).PacketId);
            await publisher.SendAsync(new PubRelPacket { PacketId = 7 });
            var comp = await publisher.ReceiveAsync<PubCompPacket>();
            Assert.Equal((7, ReasonCode.Success), (comp.PacketId, comp.ReasonCode));

            Assert.Equal("first", TestClient.Text(await subscriber.NextAsync()));
            await subscriber.ExpectNothingAsync(Quiet);

            await publisher.SendAsync(publish with { Payload = "second"u8.ToArray() });
            Assert.Equal(7, (await publisher.ReceiveAsync<PubRecPacket>()).PacketId);
            await publisher.SendAsync(new PubRelPacket { PacketId = 7 });
            Assert.Equal(7, (await publisher.ReceiveAsync<PubCompPacket>()).PacketId);
            Assert.Equal("second", TestClient.Text(await subscriber.NextAsync()));
        }
    }

    // ---- empty client id ----

    [Fact]
    [Trait("spec", "MQTT-3.1.3-7")]
    [Trait("spec", "MQTT-3.2.2-16")]
    public async Task MQTT_3_1_3_6_An_MQTT_5_client_without_an_id_gets_one_assigned_in_CONNACK()
    {
        var (client, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, string.Empty));
        await using (client)
        {
            Assert.Equal(ReasonCode.Success, connAck.ReasonCode);
            Assert.False(string.IsNullOrEmpty(connAck.Properties?.AssignedClientIdentifier));

            // The connection works under that id.
            var topic = NewTopic("assigned");
            await SubscribeAsync(client, topic, QualityOfService.AtMostOnce);
        }
    }

    [Fact]
    [Trait("spec", "MQTT-3.1.3-6 (3.1.1)")]
    public async Task An_MQTT_3_1_1_client_without_an_id_is_accepted_with_a_clean_session()
    {
        var (client, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V311, string.Empty, clean: true));
        await using (client)
        {
            Assert.Equal(ReasonCode.Success, connAck.ReasonCode);
            Assert.False(connAck.SessionPresent);
            await SubscribeAsync(client, NewTopic("anonymous"), QualityOfService.AtMostOnce);
        }
    }

    [Theory]
    [InlineData(V.V311, false)]
    [InlineData(V.V310, true)]
    [InlineData(V.V310, false)]
    [Trait("spec", "MQTT-3.1.3-8 (3.1.1)")]
    [Trait("spec", "MQTT-3.2.2-5 (3.1.1)")]
    public async Task An_empty_id_is_refused_with_return_code_2_in_3_1_1_without_clean_session_and_always_in_3_1(V version, bool clean)
    {
        var client = await RawClient.OpenAsync(broker.EndPoint, version);
        await using (client)
        {
            await client.SendAsync(Connect(version, string.Empty, clean));
            var packets = await client.ExpectClosedAsync();
            var connAck = Assert.IsType<ConnAckPacket>(Assert.Single(packets));
            Assert.Equal(ReasonCode.ClientIdentifierNotValid, connAck.ReasonCode);
            Assert.False(connAck.SessionPresent);
        }
    }

    // ---- session takeover ----

    [Theory]
    [MemberData(nameof(PersistentVersions))]
    [Trait("spec", "MQTT-3.1.4-3")]
    [Trait("spec", "MQTT-3.1.4-2 (3.1.1)")]
    public async Task A_second_connection_with_the_same_id_takes_the_session_over_and_closes_the_first(V version)
    {
        var id = NewId();
        var topic = NewTopic("takeover");
        var (first, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        await using var firstClient = first;
        await SubscribeAsync(first, topic, QualityOfService.AtLeastOnce);

        var (second, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        await using (second)
        {
            Assert.True(connAck.SessionPresent);
            var closing = await first.ExpectClosedAsync();
            if (version == V.V500)
            {
                var disconnect = Assert.IsType<DisconnectPacket>(Assert.Single(closing));
                Assert.Equal(ReasonCode.SessionTakenOver, disconnect.ReasonCode);
            }
            else
            {
                Assert.Empty(closing);
            }

            await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V311);
            await publisher.PublishAsync(topic, "to the new connection", MqttQualityOfServiceLevel.AtMostOnce);
            Assert.Equal("to the new connection", Text(await second.ReceiveAsync<PublishPacket>()));
        }
    }

    // ---- keep alive ----

    [Theory]
    [MemberData(nameof(PersistentVersions))]
    [Trait("spec", "MQTT-3.1.2-22")]
    [Trait("spec", "MQTT-3.1.2-24 (3.1.1)")]
    public async Task A_client_silent_for_one_and_a_half_keep_alives_is_disconnected(V version)
    {
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, NewId(), keepAlive: 1));
        await using (client)
        {
            var packets = await client.ExpectClosedAsync(TimeSpan.FromSeconds(10));
            if (version == V.V500)
            {
                var disconnect = Assert.IsType<DisconnectPacket>(Assert.Single(packets));
                Assert.Equal(ReasonCode.KeepAliveTimeout, disconnect.ReasonCode);
            }
            else
            {
                Assert.Empty(packets);
            }
        }
    }

    [Theory]
    [MemberData(nameof(PersistentVersions))]
    [Trait("spec", "MQTT-3.12.4-1")]
    public async Task PINGREQ_gets_PINGRESP_and_keeps_the_connection_open(V version)
    {
        // Keep-alive 2 s, not 1: a ping every 300 ms must not be taken for silence when the machine is busy with other tests.
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, NewId(), keepAlive: 2));
        await using (client)
        {
            // Pings for longer than the 3 s (1.5 keep-alive periods) after which a silent client is closed.
            for (var i = 0; i < 15; i++)
            {
                await client.SendAsync(PingReqPacket.Instance);
                await client.ReceiveAsync<PingRespPacket>();
                await Task.Delay(300);
            }

            await client.SendAsync(PingReqPacket.Instance);
            await client.ReceiveAsync<PingRespPacket>();
        }
    }

    // ---- CONNECT first, and only once ----

    [Theory]
    [InlineData(V.V311)]
    [InlineData(V.V500)]
    [Trait("spec", "MQTT-3.1.0-1")]
    public async Task A_connection_whose_first_packet_is_not_CONNECT_is_closed_without_an_answer(V version)
    {
        var client = await RawClient.OpenAsync(broker.EndPoint, version);
        await using (client)
        {
            await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(NewTopic("early"))] });
            Assert.Empty(await client.ExpectClosedAsync());
        }
    }

    [Theory]
    [MemberData(nameof(PersistentVersions))]
    [Trait("spec", "MQTT-3.1.0-2")]
    public async Task A_second_CONNECT_closes_the_connection_with_protocol_error_in_MQTT_5(V version)
    {
        var id = NewId();
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id));
        await using (client)
        {
            await client.SendAsync(Connect(version, id));
            var packets = await client.ExpectClosedAsync();
            if (version == V.V500)
            {
                var disconnect = Assert.IsType<DisconnectPacket>(Assert.Single(packets));
                Assert.Equal(ReasonCode.ProtocolError, disconnect.ReasonCode);
            }
            else
            {
                Assert.Empty(packets);
            }
        }
    }

    // ---- wills ----

    [Theory]
    [InlineData(V.V311, false)]
    [InlineData(V.V311, true)]
    [InlineData(V.V500, false)]
    [InlineData(V.V500, true)]
    [Trait("spec", "MQTT-3.1.2-14")]
    [Trait("spec", "MQTT-3.1.2-15")]
    [Trait("spec", "MQTT-3.1.2-8 (3.1.1)")]
    public async Task A_connection_lost_without_DISCONNECT_publishes_the_will_retained_if_asked(V version, bool retain)
    {
        var topic = NewTopic("will");
        await using var watcher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V311);
        await watcher.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        var will = new MqttWill(topic, "gone"u8.ToArray()) { QoS = QualityOfService.AtLeastOnce, Retain = retain };
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, NewId(), will: will));
        await client.DisposeAsync();

        var message = await watcher.NextAsync();
        Assert.Equal((topic, "gone"), (message.Topic, TestClient.Text(message)));

        // Whether the broker kept it shows to a subscriber that comes later.
        await using var late = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V311);
        await late.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        if (retain)
        {
            var kept = await late.NextAsync();
            Assert.True(kept.Retain);
            Assert.Equal("gone", TestClient.Text(kept));
            await late.PublishAsync(topic, string.Empty, retain: true);
        }
        else
        {
            await late.ExpectNothingAsync(Quiet);
        }
    }

    [Theory]
    [MemberData(nameof(PersistentVersions))]
    [Trait("spec", "MQTT-3.14.4-3")]
    [Trait("spec", "MQTT-3.1.2-10")]
    public async Task A_normal_DISCONNECT_discards_the_will(V version)
    {
        var topic = NewTopic("will-discarded");
        await using var watcher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V311);
        await watcher.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        var will = new MqttWill(topic, "gone"u8.ToArray()) { QoS = QualityOfService.AtLeastOnce };
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, NewId(), will: will));
        await DisconnectAsync(client);

        await watcher.ExpectNothingAsync(Quiet);
    }

    [Fact]
    public async Task MQTT_3_14_4_3_A_DISCONNECT_with_reason_0x04_publishes_the_will()
    {
        var topic = NewTopic("will-04");
        await using var watcher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V500);
        await watcher.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        var will = new MqttWill(topic, "asked for"u8.ToArray()) { QoS = QualityOfService.AtLeastOnce };
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, NewId(), will: will));
        await DisconnectAsync(client, new DisconnectPacket { ReasonCode = ReasonCode.DisconnectWithWillMessage });

        Assert.Equal("asked for", TestClient.Text(await watcher.NextAsync()));
    }

    [Fact]
    [Trait("spec", "MQTT-3.1.3-9")]
    public async Task A_delayed_will_is_not_published_when_the_client_reconnects_within_the_delay()
    {
        var id = NewId();
        var topic = NewTopic("will-delay-cancelled");
        await using var watcher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V500);
        await watcher.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        var will = new MqttWill(topic, "late"u8.ToArray()) { QoS = QualityOfService.AtLeastOnce, Properties = new MqttProperties { WillDelayInterval = 2 } };

        // DISCONNECT 0x04 ends the connection with the will, so the delay runs once the broker has closed the socket.
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, id, clean: false, expiry: 60, will: will));
        await DisconnectAsync(client, new DisconnectPacket { ReasonCode = ReasonCode.DisconnectWithWillMessage });

        // The new connection brings a will of its own, which a delay timer left running would publish.
        var next = new MqttWill(topic, "next"u8.ToArray()) { QoS = QualityOfService.AtLeastOnce, Properties = new MqttProperties { WillDelayInterval = 2 } };
        var (again, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, id, clean: false, expiry: 60, will: next));
        await using (again)
        {
            Assert.True(connAck.SessionPresent);
            await watcher.ExpectNothingAsync(TimeSpan.FromSeconds(3));
            await DisconnectAsync(again);
        }
    }

    [Fact]
    [Trait("spec", "MQTT-3.1.2-8")]
    public async Task A_delayed_will_is_published_once_the_delay_elapsed_with_its_properties()
    {
        var topic = NewTopic("will-delay");
        await using var watcher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V500);
        await watcher.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        var will = new MqttWill(topic, "{\"state\":\"offline\"}"u8.ToArray())
        {
            QoS = QualityOfService.AtLeastOnce,
            Properties = new MqttProperties
            {
                WillDelayInterval = 1,
                ContentType = "application/json",
                UserProperties = [new MqttUserProperty("site", "north"), new MqttUserProperty("rack", "7")],
            },
        };
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, NewId(), clean: true, expiry: 60, will: will));
        await client.DisposeAsync();

        var message = await watcher.NextAsync(TimeSpan.FromSeconds(12));
        Assert.Equal("{\"state\":\"offline\"}", TestClient.Text(message));
        Assert.Equal("application/json", message.ContentType);
        Assert.Equal(
            [("site", "north"), ("rack", "7")],
            message.UserProperties.Select(p => (p.Name, MQTTnet.Packets.MqttUserPropertyExtensions.ReadValueAsString(p))).ToArray());
    }

    // ---- session expiry (MQTT 5) ----

    [Fact]
    [Trait("spec", "MQTT-4.1.0-2")]
    public async Task A_session_ends_once_its_expiry_interval_passed_offline()
    {
        var id = NewId();
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, id, clean: true, expiry: 1));
        await SubscribeAsync(client, NewTopic("expiry"), QualityOfService.AtLeastOnce);
        await DisconnectAsync(client);

        // Well beyond the interval of 1 s.
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        var (again, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, id, clean: false, expiry: 0));
        await using (again)
        {
            Assert.False(connAck.SessionPresent);
        }
    }

    [Theory]
    [MemberData(nameof(PersistentVersions))]
    [Trait("spec", "MQTT-4.3.2-4")]
    public async Task A_QoS_1_message_to_a_connected_persistent_session_is_sent_once(V version)
    {
        var topic = NewTopic("once");
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, NewId(), clean: false, expiry: 60));
        await using (client)
        {
            await SubscribeAsync(client, topic, QualityOfService.AtLeastOnce);
            await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V311);
            await publisher.PublishAsync(topic, "once", MqttQualityOfServiceLevel.AtLeastOnce);
            var publish = await client.ReceiveAsync<PublishPacket>();
            await client.SendAsync(new PubAckPacket { PacketId = publish.PacketId });
            await client.ExpectNothingAsync(Quiet);
        }
    }

    /// <summary>
    /// QoS 1 and 2 messages for an offline persistent session are queued and delivered on reconnect. QoS 0 is not
    /// queued (the chosen behaviour, Mosquitto's default <c>queue_qos0_messages false</c>): it reaches only a
    /// connected client.
    /// </summary>
    [Theory]
    [MemberData(nameof(PersistentVersions))]
    [Trait("spec", "MQTT-4.5.0-1")]
    [Trait("spec", "MQTT-3.1.2-23")]
    public async Task A_persistent_session_keeps_its_subscriptions_and_gets_QoS_1_and_2_sent_while_offline(V version)
    {
        var id = NewId();
        var topic = NewTopic("offline");
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        await SubscribeAsync(client, topic, QualityOfService.ExactlyOnce);
        await DisconnectAsync(client);

        await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V500);
        await publisher.PublishAsync(topic, "qos0", MqttQualityOfServiceLevel.AtMostOnce);
        await publisher.PublishAsync(topic, "qos1", MqttQualityOfServiceLevel.AtLeastOnce);
        await publisher.PublishAsync(topic, "qos2", MqttQualityOfServiceLevel.ExactlyOnce);

        var (again, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        await using (again)
        {
            Assert.True(connAck.SessionPresent);
            var one = await again.ReceiveAsync<PublishPacket>();
            Assert.Equal(("qos1", QualityOfService.AtLeastOnce), (Text(one), one.QoS));
            await again.SendAsync(new PubAckPacket { PacketId = one.PacketId });
            var two = await again.ReceiveAsync<PublishPacket>();
            Assert.Equal(("qos2", QualityOfService.ExactlyOnce), (Text(two), two.QoS));
            await again.SendAsync(new PubRecPacket { PacketId = two.PacketId });
            Assert.Equal(two.PacketId, (await again.ReceiveAsync<PubRelPacket>()).PacketId);
            await again.SendAsync(new PubCompPacket { PacketId = two.PacketId });
            await again.ExpectNothingAsync(Quiet);

            // The subscription itself survived: a live message arrives without subscribing again.
            await publisher.PublishAsync(topic, "live", MqttQualityOfServiceLevel.AtMostOnce);
            Assert.Equal("live", Text(await again.ReceiveAsync<PublishPacket>()));
        }
    }

    [Theory]
    [MemberData(nameof(PersistentVersions))]
    [Trait("spec", "MQTT-4.4.0-1")]
    [Trait("spec", "MQTT-3.3.1-1")]
    public async Task An_unacknowledged_QoS_1_message_is_sent_again_with_DUP_and_the_same_packet_id_and_not_once_acknowledged(V version)
    {
        var id = NewId();
        var topic = NewTopic("redeliver1");
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        await SubscribeAsync(client, topic, QualityOfService.AtLeastOnce);
        await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V311);
        await publisher.PublishAsync(topic, "unacked", MqttQualityOfServiceLevel.AtLeastOnce);
        var original = await client.ReceiveAsync<PublishPacket>();
        Assert.False(original.Dup);
        await client.DisposeAsync();

        var (again, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        Assert.True(connAck.SessionPresent);
        var resent = await again.ReceiveAsync<PublishPacket>();
        Assert.True(resent.Dup);
        Assert.Equal((original.PacketId, "unacked", QualityOfService.AtLeastOnce), (resent.PacketId, Text(resent), resent.QoS));
        await again.SendAsync(new PubAckPacket { PacketId = resent.PacketId });
        await DisconnectAsync(again);

        var (third, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        await using (third)
        {
            await third.ExpectNothingAsync(Quiet);
        }
    }

    [Theory]
    [MemberData(nameof(PersistentVersions))]
    [Trait("spec", "MQTT-4.4.0-1")]
    [Trait("spec", "MQTT-3.3.1-1")]
    public async Task An_unreceived_QoS_2_message_is_sent_again_with_DUP(V version)
    {
        var id = NewId();
        var topic = NewTopic("redeliver2p");
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        await SubscribeAsync(client, topic, QualityOfService.ExactlyOnce);
        await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V500);
        await publisher.PublishAsync(topic, "no pubrec", MqttQualityOfServiceLevel.ExactlyOnce);
        var original = await client.ReceiveAsync<PublishPacket>();
        await client.DisposeAsync();

        var (again, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        await using (again)
        {
            var resent = await again.ReceiveAsync<PublishPacket>();
            Assert.True(resent.Dup);
            Assert.Equal((original.PacketId, "no pubrec", QualityOfService.ExactlyOnce), (resent.PacketId, Text(resent), resent.QoS));
        }
    }

    [Theory]
    [MemberData(nameof(PersistentVersions))]
    [Trait("spec", "MQTT-4.4.0-1")]
    public async Task After_PUBREC_without_PUBCOMP_the_broker_sends_PUBREL_again_and_nothing_once_completed(V version)
    {
        var id = NewId();
        var topic = NewTopic("redeliver2");
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        await SubscribeAsync(client, topic, QualityOfService.ExactlyOnce);
        await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V500);
        await publisher.PublishAsync(topic, "half done", MqttQualityOfServiceLevel.ExactlyOnce);
        var original = await client.ReceiveAsync<PublishPacket>();
        await client.SendAsync(new PubRecPacket { PacketId = original.PacketId });
        Assert.Equal(original.PacketId, (await client.ReceiveAsync<PubRelPacket>()).PacketId);
        await client.DisposeAsync();

        var (again, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        Assert.True(connAck.SessionPresent);
        Assert.Equal(original.PacketId, (await again.ReceiveAsync<PubRelPacket>()).PacketId);
        await again.SendAsync(new PubCompPacket { PacketId = original.PacketId });
        await again.ExpectNothingAsync(Quiet);
        await DisconnectAsync(again);

        var (third, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 60));
        await using (third)
        {
            await third.ExpectNothingAsync(Quiet);
        }
    }

    [Theory]
    [InlineData(1u, null, false)]
    [InlineData(60u, 1u, false)]
    [InlineData(1u, 60u, true)]
    [Trait("spec", "MQTT-3.1.2-23")]
    public async Task A_session_ends_after_its_expiry_interval_which_DISCONNECT_may_change(uint atConnect, uint? atDisconnect, bool expectPresent)
    {
        var id = NewId();
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, id, clean: true, expiry: atConnect));
        await SubscribeAsync(client, NewTopic("expiry"), QualityOfService.AtLeastOnce);
        await DisconnectAsync(client, new DisconnectPacket { Properties = atDisconnect is { } e ? new MqttProperties { SessionExpiryInterval = e } : null });

        // Well beyond the 1 s interval; a session of 60 s is still there.
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        var (again, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, id, clean: false, expiry: 0));
        await using (again)
        {
            Assert.Equal(expectPresent, connAck.SessionPresent);
        }
    }

    [Theory]
    [MemberData(nameof(PersistentVersions))]
    [Trait("spec", "MQTT-3.1.2-8 (3.1.1)")]
    [Trait("spec", "MQTT-3.1.4-3")]
    public async Task A_connection_taken_over_publishes_its_will(V version)
    {
        var id = NewId();
        var topic = NewTopic("takeover-will");
        await using var watcher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V311);
        await watcher.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        var (first, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: true, will: new MqttWill(topic, "first gone"u8.ToArray()) { QoS = QualityOfService.AtLeastOnce }));
        await using (first)
        {
            var (second, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: true));
            await using (second)
            {
                await first.ExpectClosedAsync();
                Assert.Equal("first gone", TestClient.Text(await watcher.NextAsync(TimeSpan.FromSeconds(5))));
            }
        }
    }

    private static string NewId() => "s-" + Guid.NewGuid().ToString("N")[..16];

    private static string NewTopic(string prefix) => $"sessions/{prefix}/{Guid.NewGuid():N}";

    private static string Text(PublishPacket publish) => Encoding.UTF8.GetString(publish.Payload.Span);

    /// <summary>CONNECT; <paramref name="expiry"/> is the 5.0 Session Expiry Interval (ignored before 5.0, where <paramref name="clean"/> decides).</summary>
    private static ConnectPacket Connect(V version, string clientId, bool clean = true, uint? expiry = null, ushort keepAlive = 0, MqttWill? will = null) => new()
    {
        ProtocolVersion = version,
        ClientId = clientId,
        CleanSession = clean,
        KeepAliveSeconds = keepAlive,
        Will = will,
        Properties = version == V.V500 && expiry is { } e ? new MqttProperties { SessionExpiryInterval = e } : null,
    };

    private static async Task SubscribeAsync(RawClient client, string topic, QualityOfService qos)
    {
        await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic) { MaximumQoS = qos }] });
        var ack = await client.ReceiveAsync<SubAckPacket>();
        Assert.Equal([(ReasonCode)(byte)qos], ack.ReasonCodes);
    }

    /// <summary>Sends DISCONNECT and waits until the broker closed the socket, so the session is detached when this returns.</summary>
    private static async Task DisconnectAsync(RawClient client, DisconnectPacket? disconnect = null)
    {
        await using (client)
        {
            await client.SendAsync(disconnect ?? new DisconnectPacket());
            Assert.Empty(await client.ExpectClosedAsync());
        }
    }
}
