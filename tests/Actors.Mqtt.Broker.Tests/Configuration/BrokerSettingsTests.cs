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

        // Bounded by bytes by default, unlike Mosquitto: a thousand large messages are more than a session should hold.
        Assert.Equal(16L * 1024 * 1024, settings.MaxQueuedBytes);
        Assert.Equal((ushort)10, settings.TopicAliasMaximum);
        Assert.Equal((ushort)0, settings.MaxKeepAlive);
        Assert.Equal(0u, settings.MaxSessionExpiry);
        Assert.Equal((0, 0, 0, 0.0), (settings.MaxTopicLevels, settings.MaxSubscriptions, settings.MaxConnections, settings.ConnectRate));
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

    [Theory]
    [InlineData("max-topic-levels = -1")]
    [InlineData("max-topic-levels = 70000")]
    [InlineData("max-subscriptions = -1")]
    [InlineData("max-connections = -1")]
    [InlineData("connect-rate = -0.5")]
    public void A_limit_out_of_its_range_is_refused_with_its_key(string setting)
    {
        var config = ConfigurationFactory.ParseString($"actors-mqtt.limits.{setting}");

        var error = Assert.Throws<ConfigurationException>(() => BrokerSettings.From(config));
        Assert.Equal($"actors-mqtt.limits.{setting.Split(' ')[0]}", error.Data[BrokerSettings.KeyData]);
    }

    [Fact]
    public void Fractional_connect_rates_are_read()
    {
        var settings = BrokerSettings.From(ConfigurationFactory.ParseString("actors-mqtt.limits.connect-rate = 0.25"));

        Assert.Equal(0.25, settings.ConnectRate);
    }
}
