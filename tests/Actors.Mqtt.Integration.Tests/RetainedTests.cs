using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>Retained messages between real MQTTnet clients on a real socket: stored, replaced, cleared and handed out.</summary>
public class RetainedTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    public static TheoryData<MqttProtocolVersion> Versions() => new(MqttProtocolVersion.V310, MqttProtocolVersion.V311, MqttProtocolVersion.V500);

    [Theory]
    [MemberData(nameof(Versions))]
    [Trait("spec", "MQTT-3.3.1-5")]
    [Trait("spec", "MQTT-3.3.1-9")]
    public async Task A_retained_message_replaces_the_one_before_and_reaches_a_new_subscriber_with_RETAIN_set(MqttProtocolVersion version)
    {
        var topic = $"retained/{Guid.NewGuid():N}";
        await using var publisher = await TestClient.ConnectAsync(broker, version);
        await publisher.PublishAsync(topic, "first", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await publisher.PublishAsync(topic, "second", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);

        await using var subscriber = await TestClient.ConnectAsync(broker, version);
        await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);

        var message = await subscriber.NextAsync();
        Assert.Equal(topic, message.Topic);
        Assert.Equal("second", TestClient.Text(message));
        Assert.True(message.Retain);
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, message.QualityOfServiceLevel);
        await subscriber.ExpectNothingAsync();
    }

    [Theory]
    [MemberData(nameof(Versions))]
    [Trait("spec", "MQTT-3.3.1-6")]
    [Trait("spec", "MQTT-3.3.1-7")]
    public async Task A_retained_message_with_an_empty_payload_clears_the_topic_and_is_not_stored(MqttProtocolVersion version)
    {
        var topic = $"retained/{Guid.NewGuid():N}";
        await using var publisher = await TestClient.ConnectAsync(broker, version);
        await publisher.PublishAsync(topic, "stored", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await publisher.PublishAsync(topic, string.Empty, MqttQualityOfServiceLevel.AtLeastOnce, retain: true);

        await using var subscriber = await TestClient.ConnectAsync(broker, version);
        await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);

        await subscriber.ExpectNothingAsync();
    }

    [Theory]
    [MemberData(nameof(Versions))]
    [Trait("spec", "MQTT-3.3.1-8")]
    public async Task A_message_without_RETAIN_leaves_the_stored_retained_message_alone(MqttProtocolVersion version)
    {
        var topic = $"retained/{Guid.NewGuid():N}";
        await using var publisher = await TestClient.ConnectAsync(broker, version);
        await publisher.PublishAsync(topic, "kept", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await publisher.PublishAsync(topic, "passing", MqttQualityOfServiceLevel.AtLeastOnce, retain: false);
        await publisher.PublishAsync(topic, string.Empty, MqttQualityOfServiceLevel.AtLeastOnce, retain: false);

        await using var subscriber = await TestClient.ConnectAsync(broker, version);
        await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);

        var message = await subscriber.NextAsync();
        Assert.Equal("kept", TestClient.Text(message));
        Assert.True(message.Retain);
        await subscriber.ExpectNothingAsync();
    }

    [Theory]
    [MemberData(nameof(Versions))]
    [Trait("spec", "MQTT-3.3.1-9")]
    public async Task Retained_messages_reach_wildcard_subscriptions_that_match_them(MqttProtocolVersion version)
    {
        var root = $"retained/{Guid.NewGuid():N}";
        await using var publisher = await TestClient.ConnectAsync(broker, version);
        await publisher.PublishAsync($"{root}/a/x", "ax", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await publisher.PublishAsync($"{root}/b/x", "bx", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await publisher.PublishAsync($"{root}/b/y", "by", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);

        await using var single = await TestClient.ConnectAsync(broker, version);
        await single.SubscribeAsync($"{root}/+/x");
        var singleGot = new[] { await single.NextAsync(), await single.NextAsync() };
        Assert.All(singleGot, m => Assert.True(m.Retain));
        Assert.Equal(["ax", "bx"], singleGot.Select(TestClient.Text).Order());
        await single.ExpectNothingAsync();

        await using var multi = await TestClient.ConnectAsync(broker, version);
        await multi.SubscribeAsync($"{root}/#");
        var multiGot = new[] { await multi.NextAsync(), await multi.NextAsync(), await multi.NextAsync() };
        Assert.All(multiGot, m => Assert.True(m.Retain));
        Assert.Equal(["ax", "bx", "by"], multiGot.Select(TestClient.Text).Order());
        await multi.ExpectNothingAsync();
    }

    [Fact]
    [Trait("spec", "MQTT-3.3.1-9")]
    [Trait("spec", "MQTT-3.8.4-4")]
    public async Task MQTT_3_3_1_9_retain_handling_0_sends_retained_messages_at_every_subscribe()
    {
        var topic = $"retained/{Guid.NewGuid():N}";
        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await publisher.PublishAsync(topic, "r", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await using var subscriber = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);

        await SubscribeAsync(subscriber, topic, MqttRetainHandling.SendAtSubscribe);
        Assert.True((await subscriber.NextAsync()).Retain);
        await SubscribeAsync(subscriber, topic, MqttRetainHandling.SendAtSubscribe);
        Assert.True((await subscriber.NextAsync()).Retain);
        await subscriber.ExpectNothingAsync();
    }

    [Fact]
    [Trait("spec", "MQTT-3.3.1-10")]
    public async Task MQTT_3_3_1_10_retain_handling_1_sends_retained_messages_only_for_a_new_subscription()
    {
        var topic = $"retained/{Guid.NewGuid():N}";
        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await publisher.PublishAsync(topic, "r", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await using var subscriber = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);

        await SubscribeAsync(subscriber, topic, MqttRetainHandling.SendAtSubscribeIfNewSubscriptionOnly);
        Assert.Equal("r", TestClient.Text(await subscriber.NextAsync()));
        await SubscribeAsync(subscriber, topic, MqttRetainHandling.SendAtSubscribeIfNewSubscriptionOnly);
        await subscriber.ExpectNothingAsync();
    }

    [Fact]
    [Trait("spec", "MQTT-3.3.1-11")]
    public async Task MQTT_3_3_1_11_retain_handling_2_sends_no_retained_messages_but_later_ones_arrive()
    {
        var topic = $"retained/{Guid.NewGuid():N}";
        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await publisher.PublishAsync(topic, "old", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await using var subscriber = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);

        await SubscribeAsync(subscriber, topic, MqttRetainHandling.DoNotSendOnSubscribe);
        await subscriber.ExpectNothingAsync();
        await publisher.PublishAsync(topic, "new", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal("new", TestClient.Text(await subscriber.NextAsync()));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    [Trait("spec", "MQTT-3.3.1-12")]
    public async Task A_retained_publication_forwarded_to_an_existing_subscriber_has_RETAIN_cleared(MqttProtocolVersion version)
    {
        var topic = $"retained/{Guid.NewGuid():N}";
        await using var subscriber = await TestClient.ConnectAsync(broker, version);
        await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await TestClient.ConnectAsync(broker, version);

        await publisher.PublishAsync(topic, "live", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);

        var message = await subscriber.NextAsync();
        Assert.Equal("live", TestClient.Text(message));
        Assert.False(message.Retain);
    }

    [Fact]
    [Trait("spec", "MQTT-3.3.1-12")]
    [Trait("spec", "MQTT-3.3.1-13")]
    public async Task MQTT_3_3_1_13_retain_as_published_keeps_RETAIN_on_a_forwarded_publication()
    {
        var topic = $"retained/{Guid.NewGuid():N}";
        await using var keeps = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await keeps.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(topic).WithAtLeastOnceQoS().WithRetainAsPublished(true))
            .Build());
        await using var clears = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await clears.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(topic).WithAtLeastOnceQoS().WithRetainAsPublished(false))
            .Build());
        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);

        await publisher.PublishAsync(topic, "retained", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await publisher.PublishAsync(topic, "plain", MqttQualityOfServiceLevel.AtLeastOnce, retain: false);

        var kept = await keeps.NextAsync();
        Assert.Equal("retained", TestClient.Text(kept));
        Assert.True(kept.Retain);
        var plain = await keeps.NextAsync();
        Assert.Equal("plain", TestClient.Text(plain));
        Assert.False(plain.Retain);
        Assert.False((await clears.NextAsync()).Retain);
        Assert.False((await clears.NextAsync()).Retain);
    }

    [Fact]
    [Trait("spec", "MQTT-3.3.1-9")]
    [Trait("spec", "MQTT-4.8.2-1")]
    public async Task A_shared_subscription_gets_no_retained_message_when_it_is_made()
    {
        var topic = $"retained/{Guid.NewGuid():N}";
        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await publisher.PublishAsync(topic, "retained", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await using var member = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);

        await member.SubscribeAsync($"$share/group/{topic}", MqttQualityOfServiceLevel.AtLeastOnce);

        await member.ExpectNothingAsync();
        await publisher.PublishAsync(topic, "live", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal("live", TestClient.Text(await member.NextAsync()));
    }

    private static Task<MqttClientSubscribeResult> SubscribeAsync(TestClient client, string topic, MqttRetainHandling handling) =>
        client.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(topic).WithAtLeastOnceQoS().WithRetainHandling(handling))
            .Build());
}
