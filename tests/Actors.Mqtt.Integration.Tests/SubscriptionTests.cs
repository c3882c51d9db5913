using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>SUBSCRIBE and UNSUBSCRIBE as a real client sees them: acknowledgements, overlaps, options, shared groups.</summary>
public class SubscriptionTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    [Fact]
    [Trait("spec", "MQTT-3.3.4-2")]
    [Trait("spec", "MQTT-3.3.4-3")]
    [Trait("spec", "MQTT-3.3.4-4")]
    public async Task MQTT_3_3_4_2_overlapping_subscriptions_give_one_copy_at_the_highest_QoS_with_every_identifier()
    {
        var root = $"overlap/{Guid.NewGuid():N}";
        await using var subscriber = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await subscriber.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter($"{root}/+", MqttQualityOfServiceLevel.AtMostOnce)
            .WithSubscriptionIdentifier(7)
            .Build());
        await subscriber.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter($"{root}/#", MqttQualityOfServiceLevel.ExactlyOnce)
            .WithSubscriptionIdentifier(300)
            .Build());
        await subscriber.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter($"{root}/x", MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);

        await publisher.PublishAsync($"{root}/x", "once", MqttQualityOfServiceLevel.ExactlyOnce);

        var message = await subscriber.NextAsync();
        Assert.Equal("once", TestClient.Text(message));
        Assert.Equal(MqttQualityOfServiceLevel.ExactlyOnce, message.QualityOfServiceLevel);
        Assert.Equal([7u, 300u], message.SubscriptionIdentifiers.Order());
        await subscriber.ExpectNothingAsync();
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    [Trait("spec", "MQTT-3.8.4-3")]
    public async Task MQTT_3_8_4_3_subscribing_again_to_the_same_filter_replaces_the_subscription(MqttProtocolVersion version)
    {
        var topic = $"resubscribe/{Guid.NewGuid():N}";
        await using var subscriber = await TestClient.ConnectAsync(broker, version);
        await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtMostOnce);
        await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.ExactlyOnce);
        await using var publisher = await TestClient.ConnectAsync(broker, version);

        await publisher.PublishAsync(topic, "one", MqttQualityOfServiceLevel.ExactlyOnce);

        var message = await subscriber.NextAsync();
        Assert.Equal("one", TestClient.Text(message));
        Assert.Equal(MqttQualityOfServiceLevel.ExactlyOnce, message.QualityOfServiceLevel);
        await subscriber.ExpectNothingAsync();

        await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        await publisher.PublishAsync(topic, "two", MqttQualityOfServiceLevel.ExactlyOnce);
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, (await subscriber.NextAsync()).QualityOfServiceLevel);
        await subscriber.ExpectNothingAsync();
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    [Trait("spec", "MQTT-3.8.4-5")]
    [Trait("spec", "MQTT-3.8.4-6")]
    [Trait("spec", "MQTT-3.8.4-7")]
    [Trait("spec", "MQTT-3.9.3-1")]
    public async Task MQTT_3_9_3_1_SUBACK_answers_each_filter_in_order_and_each_valid_filter_works(MqttProtocolVersion version)
    {
        var root = $"suback/{Guid.NewGuid():N}";
        await using var subscriber = await TestClient.ConnectAsync(broker, version);

        var result = await subscriber.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter($"{root}/two", MqttQualityOfServiceLevel.ExactlyOnce)
            .WithTopicFilter($"{root}/one/+", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter($"{root}/zero", MqttQualityOfServiceLevel.AtMostOnce)
            .WithTopicFilter($"{root}/#", MqttQualityOfServiceLevel.AtMostOnce)
            .Build());

        Assert.Equal(
            [MqttClientSubscribeResultCode.GrantedQoS2, MqttClientSubscribeResultCode.GrantedQoS1, MqttClientSubscribeResultCode.GrantedQoS0, MqttClientSubscribeResultCode.GrantedQoS0],
            result.Items.Select(i => i.ResultCode));
        Assert.Equal([$"{root}/two", $"{root}/one/+", $"{root}/zero", $"{root}/#"], result.Items.Select(i => i.TopicFilter.Topic));

        await using var publisher = await TestClient.ConnectAsync(broker, version);
        await publisher.PublishAsync($"{root}/two", "2", MqttQualityOfServiceLevel.ExactlyOnce);
        await publisher.PublishAsync($"{root}/zero", "0", MqttQualityOfServiceLevel.ExactlyOnce);
        await publisher.PublishAsync($"{root}/one/x", "1", MqttQualityOfServiceLevel.ExactlyOnce);
        await publisher.PublishAsync($"{root}/other", "any", MqttQualityOfServiceLevel.ExactlyOnce);
        var got = new[] { await subscriber.NextAsync(), await subscriber.NextAsync(), await subscriber.NextAsync(), await subscriber.NextAsync() }
            .ToDictionary(TestClient.Text, m => m.QualityOfServiceLevel);
        Assert.Equal(MqttQualityOfServiceLevel.ExactlyOnce, got["2"]);
        Assert.Equal(MqttQualityOfServiceLevel.AtMostOnce, got["0"]);
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, got["1"]);
        Assert.Equal(MqttQualityOfServiceLevel.AtMostOnce, got["any"]);
        await subscriber.ExpectNothingAsync();
    }

    [Fact]
    [Trait("spec", "MQTT-3.10.4-5")]
    [Trait("spec", "MQTT-3.11.3-1")]
    public async Task MQTT_3_11_3_1_UNSUBACK_answers_each_filter_in_order_with_0x11_for_an_unknown_one()
    {
        var root = $"unsuback/{Guid.NewGuid():N}";
        await using var subscriber = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await subscriber.SubscribeAsync($"{root}/a");
        await subscriber.SubscribeAsync($"{root}/c/#");

        var result = await subscriber.Client.UnsubscribeAsync(new MqttClientUnsubscribeOptionsBuilder()
            .WithTopicFilter($"{root}/a")
            .WithTopicFilter($"{root}/b")
            .WithTopicFilter($"{root}/c/#")
            .WithTopicFilter($"{root}/c/+")
            .Build());

        Assert.Equal(
            [MqttClientUnsubscribeResultCode.Success, MqttClientUnsubscribeResultCode.NoSubscriptionExisted, MqttClientUnsubscribeResultCode.Success, MqttClientUnsubscribeResultCode.NoSubscriptionExisted],
            result.Items.Select(i => i.ResultCode));

        var again = await subscriber.Client.UnsubscribeAsync(new MqttClientUnsubscribeOptionsBuilder().WithTopicFilter($"{root}/a").Build());
        Assert.Equal(MqttClientUnsubscribeResultCode.NoSubscriptionExisted, again.Items.Single().ResultCode);
    }

    [Fact]
    [Trait("spec", "MQTT-3.8.3-3")]
    public async Task MQTT_3_8_3_3_no_local_keeps_a_clients_own_messages_from_it()
    {
        var topic = $"nolocal/{Guid.NewGuid():N}";
        await using var self = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await self.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(topic).WithAtLeastOnceQoS().WithNoLocal(true))
            .Build());
        await using var other = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await other.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);

        await self.PublishAsync(topic, "mine", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal("mine", TestClient.Text(await other.NextAsync()));
        await self.ExpectNothingAsync();

        await other.PublishAsync(topic, "theirs", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal("theirs", TestClient.Text(await self.NextAsync()));
    }

    [Fact]
    [Trait("spec", "MQTT-4.8.2-1")]
    public async Task A_shared_group_gets_each_message_once_in_turn_while_an_ordinary_subscriber_gets_all()
    {
        const int PerMember = 4;
        var topic = $"shared/{Guid.NewGuid():N}";
        var members = new List<TestClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var member = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
                members.Add(member);
                await member.SubscribeAsync($"$share/workers/{topic}", MqttQualityOfServiceLevel.AtLeastOnce);
            }

            await using var everything = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
            await everything.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
            await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);

            var sent = Enumerable.Range(0, PerMember * members.Count).Select(i => $"m{i}").ToList();
            foreach (var payload in sent)
            {
                await publisher.PublishAsync(topic, payload, MqttQualityOfServiceLevel.AtLeastOnce);
            }

            var all = new List<string>();
            for (var i = 0; i < sent.Count; i++)
            {
                all.Add(TestClient.Text(await everything.NextAsync()));
            }

            Assert.Equal(sent, all);

            var shared = new List<string>();
            foreach (var member in members)
            {
                for (var i = 0; i < PerMember; i++)
                {
                    var message = await member.NextAsync();
                    Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, message.QualityOfServiceLevel);
                    shared.Add(TestClient.Text(message));
                }
            }

            await Task.WhenAll(members.Select(m => m.ExpectNothingAsync()).Append(everything.ExpectNothingAsync()));
            Assert.Equal(sent, shared.OrderBy(p => int.Parse(p[1..], System.Globalization.CultureInfo.InvariantCulture)));
        }
        finally
        {
            foreach (var member in members)
            {
                await member.DisposeAsync();
            }
        }
    }
}
