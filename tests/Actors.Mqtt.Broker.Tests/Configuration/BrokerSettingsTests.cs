using Akka.Configuration;

namespace Actors.Mqtt.Broker.Tests.Configuration;

public class BrokerSettingsTests
{
    [Fact]
    public void The_embedded_defaults_give_the_documented_values()
    {
        var settings = BrokerSettings.From(BrokerSettings.Reference);

        Assert.Equal(1_048_576, settings.MaxPacketSize);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.ConnectTimeout);
        Assert.Equal((ushort)100, settings.ReceiveMaximum);
        Assert.Equal(1000, settings.OutboundQueue);
        Assert.Equal(1000, settings.MaxQueuedMessages);
        Assert.Equal((ushort)10, settings.TopicAliasMaximum);
        Assert.Equal((ushort)0, settings.MaxKeepAlive);
        Assert.Equal(SharedSubscriptionStrategy.RoundRobin, settings.SharedSubscriptionStrategy);
    }

    [Fact]
    public void An_operator_value_overrides_its_default_and_leaves_the_others()
    {
        var config = ConfigurationFactory.ParseString("""
            actors-mqtt.limits.max-packet-size = 4096
            actors-mqtt.sessions.shared-subscription-strategy = random
            """);

        var settings = BrokerSettings.From(config);

        Assert.Equal(4096, settings.MaxPacketSize);
        Assert.Equal(SharedSubscriptionStrategy.Random, settings.SharedSubscriptionStrategy);
        Assert.Equal(1000, settings.MaxQueuedMessages);
    }

    [Fact]
    public void An_unknown_shared_subscription_strategy_is_refused_by_name()
    {
        var config = ConfigurationFactory.ParseString("actors-mqtt.sessions.shared-subscription-strategy = fastest");

        var error = Assert.Throws<ConfigurationException>(() => BrokerSettings.From(config));
        Assert.Contains("shared-subscription-strategy", error.Message, StringComparison.Ordinal);
    }
}
