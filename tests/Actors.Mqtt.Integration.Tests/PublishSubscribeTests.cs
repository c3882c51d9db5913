using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>PUBLISH and SUBSCRIBE between real MQTTnet clients of every version, on a real socket.</summary>
public class PublishSubscribeTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    public static TheoryData<MqttProtocolVersion, MqttQualityOfServiceLevel> VersionsAndQos()
    {
        var data = new TheoryData<MqttProtocolVersion, MqttQualityOfServiceLevel>();
        foreach (var v in new[] { MqttProtocolVersion.V310, MqttProtocolVersion.V311, MqttProtocolVersion.V500 })
        {
            foreach (var q in new[] { MqttQualityOfServiceLevel.AtMostOnce, MqttQualityOfServiceLevel.AtLeastOnce, MqttQualityOfServiceLevel.ExactlyOnce })
            {
                data.Add(v, q);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(VersionsAndQos))]
    [Trait("spec", "MQTT-4.3.1-1")]
    [Trait("spec", "MQTT-4.3.2-4")]
    [Trait("spec", "MQTT-4.3.3-8")]
    [Trait("spec", "MQTT-4.3.3-11")]
    public async Task A_message_reaches_a_wildcard_subscriber_with_the_QoS_of_both_ends(MqttProtocolVersion version, MqttQualityOfServiceLevel qos)
    {
        var topic = $"pubsub/{Guid.NewGuid():N}";
        await using var subscriber = await TestClient.ConnectAsync(broker, version);
        await subscriber.SubscribeAsync(topic[..7] + "+", qos);
        await using var publisher = await TestClient.ConnectAsync(broker, version);

        var result = await publisher.PublishAsync(topic, "hello", qos);

        Assert.True(result.IsSuccess, result.ReasonString);
        var message = await subscriber.NextAsync();
        Assert.Equal(topic, message.Topic);
        Assert.Equal("hello", TestClient.Text(message));
        Assert.Equal(qos, message.QualityOfServiceLevel);
    }

    [Fact]
    [Trait("spec", "MQTT-3.8.4-8")]
    public async Task Delivery_QoS_is_the_lower_of_the_publication_and_the_subscription()
    {
        var topic = $"downgrade/{Guid.NewGuid():N}";
        await using var subscriber = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V311);

        await publisher.PublishAsync(topic, "two", MqttQualityOfServiceLevel.ExactlyOnce);
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, (await subscriber.NextAsync()).QualityOfServiceLevel);
        await publisher.PublishAsync(topic, "zero", MqttQualityOfServiceLevel.AtMostOnce);
        Assert.Equal(MqttQualityOfServiceLevel.AtMostOnce, (await subscriber.NextAsync()).QualityOfServiceLevel);
    }

    [Fact]
    [Trait("spec", "MQTT-4.7.2-1")]
    public async Task Leading_wildcards_do_not_match_dollar_topics_but_an_explicit_dollar_filter_does()
    {
        var id = Guid.NewGuid().ToString("N");
        await using var everything = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V311);
        await everything.SubscribeAsync("#");
        await using var dollar = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V311);
        await dollar.SubscribeAsync("$SYS-test/#");
        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V311);

        await publisher.PublishAsync($"$SYS-test/{id}", "system");

        Assert.Equal($"$SYS-test/{id}", (await dollar.NextAsync()).Topic);
        await everything.ExpectNothingAsync();
    }

    [Fact]
    [Trait("spec", "MQTT-3.10.4-2")]
    [Trait("spec", "MQTT-3.10.4-4")]
    public async Task After_unsubscribe_nothing_more_arrives()
    {
        var topic = $"unsub/{Guid.NewGuid():N}";
        await using var subscriber = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await subscriber.SubscribeAsync(topic);
        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await publisher.PublishAsync(topic, "before");
        Assert.Equal("before", TestClient.Text(await subscriber.NextAsync()));

        var result = await subscriber.Client.UnsubscribeAsync(new MQTTnet.MqttClientUnsubscribeOptionsBuilder().WithTopicFilter(topic).Build());
        Assert.Equal(MQTTnet.MqttClientUnsubscribeResultCode.Success, result.Items.Single().ResultCode);
        await publisher.PublishAsync(topic, "after");
        await subscriber.ExpectNothingAsync();
    }
}
