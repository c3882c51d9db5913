using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet.Formatter;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>The configured way a shared subscription picks its member: here at random.</summary>
public class SharedSubscriptionStrategyTests(SharedSubscriptionStrategyTests.RandomBroker broker) : IClassFixture<SharedSubscriptionStrategyTests.RandomBroker>
{
    [Fact]
    public async Task With_the_random_strategy_configured_each_message_goes_to_exactly_one_member()
    {
        const int Messages = 60;
        var topic = $"random/{Guid.NewGuid():N}";
        var members = new List<TestClient>();
        for (var i = 0; i < 3; i++)
        {
            var member = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
            await member.SubscribeAsync($"$share/g/{topic}");
            members.Add(member);
        }

        await using var publisher = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        for (var i = 0; i < Messages; i++)
        {
            await publisher.PublishAsync(topic, i.ToString(System.Globalization.CultureInfo.InvariantCulture), MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var received = new List<(int Member, string Payload)>();
        for (var m = 0; m < members.Count; m++)
        {
            while (true)
            {
                try
                {
                    received.Add((m, TestClient.Text(await members[m].NextAsync(TimeSpan.FromSeconds(2)))));
                }
                catch (TimeoutException)
                {
                    break;
                }
            }
        }

        Assert.Equal(Enumerable.Range(0, Messages).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(), received.Select(r => r.Payload).Order());

        // 60 random picks all landing on one member of three has a chance of about 3 in 10^28.
        Assert.True(received.Select(r => r.Member).Distinct().Count() > 1);
        foreach (var member in members)
        {
            await member.DisposeAsync();
        }
    }

    public sealed class RandomBroker : IAsyncLifetime
    {
        private readonly BrokerFixture inner = new() { Overrides = ["actors-mqtt.sessions.shared-subscription-strategy=random"] };

        public static implicit operator BrokerFixture(RandomBroker broker) => broker.inner;

        public Task InitializeAsync() => inner.InitializeAsync();

        public Task DisposeAsync() => inner.DisposeAsync();
    }
}
