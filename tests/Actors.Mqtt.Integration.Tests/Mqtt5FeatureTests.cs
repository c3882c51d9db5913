using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>MQTT 5 features end to end: message properties, expiry, topic aliases and the limits each side announces.</summary>
public class Mqtt5FeatureTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static ReadOnlyMemory<byte> Utf8(string value) => Encoding.UTF8.GetBytes(value);

    [Fact]
    [Trait("spec", "MQTT-3.3.2-4")]
    [Trait("spec", "MQTT-3.3.2-15")]
    [Trait("spec", "MQTT-3.3.2-16")]
    [Trait("spec", "MQTT-3.3.2-17")]
    [Trait("spec", "MQTT-3.3.2-18")]
    [Trait("spec", "MQTT-3.3.2-20")]
    public async Task Message_properties_arrive_unchanged_and_user_properties_in_order()
    {
        var topic = $"props/{Guid.NewGuid():N}";
        await using var subscriber = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        byte[] correlation = [0, 1, 2, 0xFF, 0xFE];

        await publisher.Client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload("{\"v\":1}")
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithUserProperty("z", Utf8("first"))
            .WithUserProperty("a", Utf8("second"))
            .WithUserProperty("z", Utf8("third"))
            .WithUserProperty("empty", Utf8(string.Empty))
            .WithResponseTopic($"{topic}/reply")
            .WithCorrelationData(correlation)
            .WithContentType("application/json; charset=utf-8")
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .Build());

        var message = await subscriber.NextAsync();
        Assert.Equal(
            [("z", "first"), ("a", "second"), ("z", "third"), ("empty", string.Empty)],
            message.UserProperties.Select(p => (p.Name, p.ReadValueAsString())));
        Assert.Equal($"{topic}/reply", message.ResponseTopic);
        Assert.Equal(correlation, message.CorrelationData);
        Assert.Equal("application/json; charset=utf-8", message.ContentType);
        Assert.Equal(MqttPayloadFormatIndicator.CharacterData, message.PayloadFormatIndicator);
        Assert.Equal("{\"v\":1}", TestClient.Text(message));
    }

    [Fact]
    [Trait("spec", "MQTT-3.3.2-15")]
    [Trait("spec", "MQTT-3.3.2-16")]
    public async Task Request_and_response_find_each_other_through_response_topic_and_correlation_data()
    {
        var service = $"rpc/{Guid.NewGuid():N}";
        await using var responder = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await responder.SubscribeAsync($"{service}/requests", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var requester = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        var replyTo = $"{service}/replies/{requester.Client.Options.ClientId}";
        await requester.SubscribeAsync(replyTo, MqttQualityOfServiceLevel.AtLeastOnce);

        foreach (var question in new[] { "2+2", "3*3" })
        {
            await requester.Client.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic($"{service}/requests")
                .WithPayload(question)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithResponseTopic(replyTo)
                .WithCorrelationData(Encoding.UTF8.GetBytes("id:" + question))
                .Build());
        }

        for (var i = 0; i < 2; i++)
        {
            var request = await responder.NextAsync();
            await responder.Client.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(request.ResponseTopic)
                .WithPayload("answer to " + TestClient.Text(request))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithCorrelationData(request.CorrelationData)
                .Build());
        }

        for (var i = 0; i < 2; i++)
        {
            var response = await requester.NextAsync();
            Assert.Equal(replyTo, response.Topic);
            var correlation = Encoding.UTF8.GetString(response.CorrelationData);
            Assert.Equal("answer to " + correlation["id:".Length..], TestClient.Text(response));
        }
    }

    [Fact]
    [Trait("spec", "MQTT-3.3.2-5")]
    [Trait("spec", "MQTT-3.3.2-6")]
    public async Task MQTT_3_3_2_5_a_message_waiting_past_its_expiry_is_dropped_and_a_live_one_arrives_with_less_time_left()
    {
        var topic = $"expiry/{Guid.NewGuid():N}";

        // A receive window of one held by an unacknowledged message: what comes next waits in the session.
        await using var subscriber = await ManualAckClient.ConnectAsync(broker, o => o.WithReceiveMaximum(1));
        await subscriber.Client.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await publisher.PublishAsync(topic, "holds the window", MqttQualityOfServiceLevel.AtLeastOnce);
        var holding = await subscriber.NextAsync();
        await publisher.Client.PublishAsync(Expiring(topic, "short", seconds: 1));
        await publisher.Client.PublishAsync(Expiring(topic, "long", seconds: 60));
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        await holding.AcknowledgeAsync(CancellationToken.None);

        var message = await subscriber.NextAsync();
        Assert.Equal("long", TestClient.Text(message.ApplicationMessage));
        Assert.InRange(message.ApplicationMessage.MessageExpiryInterval, 1u, 58u);
        await message.AcknowledgeAsync(CancellationToken.None);
        await subscriber.ExpectNothingAsync();

        static MqttApplicationMessage Expiring(string topic, string payload, uint seconds) => new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithMessageExpiryInterval(seconds)
            .Build();
    }

    [Fact]
    [Trait("spec", "MQTT-3.3.2-12")]
    public async Task MQTT_3_3_2_12_a_topic_alias_from_the_client_stands_for_its_topic()
    {
        var topic = $"alias/{Guid.NewGuid():N}";
        await using var subscriber = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        var maximum = publisher.ConnectResult.TopicAliasMaximum;

        await publisher.Client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(topic).WithTopicAlias(maximum).WithPayload("set").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await publisher.Client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopicAlias(maximum).WithPayload("used").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        foreach (var expected in new[] { "set", "used" })
        {
            var message = await subscriber.NextAsync();
            Assert.Equal(topic, message.Topic);
            Assert.Equal(expected, TestClient.Text(message));
            Assert.Equal(0, message.TopicAlias);
        }
    }

    [Fact]
    [Trait("spec", "MQTT-3.2.2-17")]
    [Trait("spec", "MQTT-3.3.2-9")]
    public async Task MQTT_3_2_2_17_a_topic_alias_above_the_maximum_closes_the_connection_with_0x94()
    {
        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        var above = (ushort)(publisher.ConnectResult.TopicAliasMaximum + 1);

        await publisher.Client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic($"alias/{Guid.NewGuid():N}").WithTopicAlias(above).WithPayload("x").Build());

        var disconnected = await publisher.Disconnected.WaitAsync(Deadline);
        Assert.Equal(MqttClientDisconnectReason.TopicAliasInvalid, disconnected.Reason);
    }

    [Fact]
    [Trait("spec", "MQTT-3.2.2-15")]
    [Trait("spec", "MQTT-3.2.2-17")]
    public async Task MQTT_3_2_2_17_CONNACK_announces_receive_maximum_topic_alias_maximum_and_maximum_packet_size()
    {
        await using var client = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);

        // The broker's defaults (reference.conf): the fixture overrides none of them.
        Assert.Equal((ushort)100, client.ConnectResult.ReceiveMaximum);
        Assert.Equal((ushort)10, client.ConnectResult.TopicAliasMaximum);
        Assert.Equal(1048576u, client.ConnectResult.MaximumPacketSize);
    }

    [Fact]
    [Trait("spec", "MQTT-3.3.4-9")]
    public async Task MQTT_3_3_4_9_no_more_unacknowledged_messages_go_to_a_client_than_its_receive_maximum()
    {
        var topic = $"window/{Guid.NewGuid():N}";
        await using var subscriber = await ManualAckClient.ConnectAsync(broker, o => o.WithReceiveMaximum(2));
        await subscriber.Client.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        for (var i = 0; i < 5; i++)
        {
            await publisher.PublishAsync(topic, $"m{i}", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var m0 = await subscriber.NextAsync();
        var m1 = await subscriber.NextAsync();
        Assert.Equal(["m0", "m1"], new[] { m0, m1 }.Select(e => TestClient.Text(e.ApplicationMessage)));
        await subscriber.ExpectNothingAsync();

        await m0.AcknowledgeAsync(CancellationToken.None);
        var m2 = await subscriber.NextAsync();
        Assert.Equal("m2", TestClient.Text(m2.ApplicationMessage));
        await subscriber.ExpectNothingAsync();

        await m1.AcknowledgeAsync(CancellationToken.None);
        await m2.AcknowledgeAsync(CancellationToken.None);
        var rest = new[] { await subscriber.NextAsync(), await subscriber.NextAsync() };
        Assert.Equal(["m3", "m4"], rest.Select(e => TestClient.Text(e.ApplicationMessage)));
    }

    [Fact]
    [Trait("spec", "MQTT-3.1.2-24")]
    [Trait("spec", "MQTT-3.1.2-25")]
    public async Task MQTT_3_1_2_24_a_message_larger_than_the_clients_maximum_packet_size_is_not_sent_to_it()
    {
        var topic = $"maxpacket/{Guid.NewGuid():N}";

        // A window of one: were the dropped QoS 1 message not treated as delivered, nothing would follow it.
        await using var small = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500, configure: o => o.WithMaximumPacketSize(256).WithReceiveMaximum(1));
        await small.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        await using var large = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await large.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        var big = new string('x', 1000);

        await publisher.PublishAsync(topic, "before", MqttQualityOfServiceLevel.AtLeastOnce);
        await publisher.PublishAsync(topic, big, MqttQualityOfServiceLevel.AtLeastOnce);
        await publisher.PublishAsync(topic, big, MqttQualityOfServiceLevel.AtMostOnce);
        await publisher.PublishAsync(topic, "after", MqttQualityOfServiceLevel.AtLeastOnce);

        Assert.Equal("before", TestClient.Text(await small.NextAsync()));
        Assert.Equal("after", TestClient.Text(await small.NextAsync()));
        await small.ExpectNothingAsync();
        Assert.True(small.Client.IsConnected);
        var toLarge = new[] { await large.NextAsync(), await large.NextAsync(), await large.NextAsync(), await large.NextAsync() };
        Assert.Equal(new[] { "after", "before", big, big }.Order(StringComparer.Ordinal), toLarge.Select(TestClient.Text).Order(StringComparer.Ordinal));
    }

    [Fact]
    [Trait("spec", "MQTT-3.3.2-5")]
    [Trait("spec", "MQTT-3.3.2-6")]
    public async Task MQTT_3_3_2_5_a_message_queued_for_an_offline_session_past_its_expiry_is_dropped_and_a_live_one_arrives_with_less_time_left()
    {
        var topic = $"expiry/{Guid.NewGuid():N}";
        var clientId = "expiry-" + Guid.NewGuid().ToString("N")[..12];
        void Persistent(MqttClientOptionsBuilder o) => o.WithSessionExpiryInterval(120).WithCleanStart(false);

        var first = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500, clientId, Persistent);
        await first.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        await first.DisposeAsync();
        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await publisher.Client.PublishAsync(Expiring(topic, "short", seconds: 1));
        await publisher.Client.PublishAsync(Expiring(topic, "long", seconds: 60));
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        await using var again = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500, clientId, Persistent);
        Assert.True(again.ConnectResult.IsSessionPresent);
        var message = await again.NextAsync();
        Assert.Equal("long", TestClient.Text(message));
        Assert.InRange(message.MessageExpiryInterval, 1u, 58u);
        await again.ExpectNothingAsync();

        static MqttApplicationMessage Expiring(string topic, string payload, uint seconds) => new MqttApplicationMessageBuilder()
            .WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithMessageExpiryInterval(seconds).Build();
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    [Trait("spec", "MQTT-4.3.2-1")]
    [Trait("spec", "MQTT-4.3.2-2")]
    public async Task A_QoS_1_message_to_a_connected_persistent_session_arrives_once(MqttProtocolVersion version)
    {
        var topic = $"persistent/{Guid.NewGuid():N}";
        await using var subscriber = await TestClient.ConnectAsync(broker, version, configure: o =>
        {
            if (version == MqttProtocolVersion.V500)
            {
                o.WithSessionExpiryInterval(120);
            }
            else
            {
                o.WithCleanSession(false);
            }
        });
        await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await TestClient.ConnectAsync(broker, version);

        await publisher.PublishAsync(topic, "once", MqttQualityOfServiceLevel.AtLeastOnce);

        Assert.Equal("once", TestClient.Text(await subscriber.NextAsync()));
        await subscriber.ExpectNothingAsync();
    }
}
