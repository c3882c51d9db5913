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
    public void By_default_a_node_is_a_cluster_of_its_own_on_a_free_loopback_port()
    {
        var cluster = BrokerSettings.From(BrokerSettings.Reference).Cluster;

        Assert.Equal(("127.0.0.1", 0, 0), (cluster.Hostname, cluster.Port, cluster.SeedNodes.Count));
        var akka = cluster.ToAkkaConfig();
        Assert.Empty(akka.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(0, akka.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal("keep-majority", akka.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Equal(TimeSpan.FromSeconds(20), akka.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
    }

    [Fact]
    public void A_discovery_method_becomes_cluster_bootstrap_settings_and_no_seed_nodes()
    {
        var config = ConfigurationFactory.ParseString("""
            actors-mqtt.cluster {
              hostname = "10.0.0.3"
              port = 4053
              discovery {
                method = config
                service-name = mqtt
                required-contact-points = 3
                management.port = 8600
                config.endpoints = ["10.0.0.1:8600", "10.0.0.2:8600", "10.0.0.3:8600"]
              }
            }
            """);

        var akka = BrokerSettings.From(config).Cluster.ToAkkaConfig();

        Assert.Empty(akka.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal("config", akka.GetString("akka.discovery.method"));
        Assert.Equal(["10.0.0.1:8600", "10.0.0.2:8600", "10.0.0.3:8600"], akka.GetStringList("akka.discovery.config.services.mqtt.endpoints"));
        Assert.Equal("mqtt", akka.GetString("akka.management.cluster.bootstrap.contact-point-discovery.service-name"));
        Assert.Equal(3, akka.GetInt("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
        Assert.Equal(("10.0.0.3", 8600), (akka.GetString("akka.management.http.hostname"), akka.GetInt("akka.management.http.port")));
    }

    [Fact]
    public void Without_a_discovery_method_no_bootstrap_keys_are_set()
    {
        var akka = BrokerSettings.From(BrokerSettings.Reference).Cluster.ToAkkaConfig();

        Assert.False(akka.HasPath("akka.discovery.method"));
        Assert.False(akka.HasPath("akka.management"));
    }

    [Fact]
    public void Seed_nodes_become_akka_addresses_of_the_broker_system()
    {
        var config = ConfigurationFactory.ParseString("""
            actors-mqtt.cluster {
              hostname = "10.0.0.3"
              port = 4053
              seed-nodes = ["10.0.0.1:4053", "[fd00::2]:4053"]
              split-brain-resolver.stable-after = 7s
            }
            """);

        var akka = BrokerSettings.From(config).Cluster.ToAkkaConfig();

        Assert.Equal(["akka.tcp://actors-mqtt@10.0.0.1:4053", "akka.tcp://actors-mqtt@[fd00::2]:4053"], akka.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(("10.0.0.3", 4053), (akka.GetString("akka.remote.dot-netty.tcp.hostname"), akka.GetInt("akka.remote.dot-netty.tcp.port")));
        Assert.Equal(TimeSpan.FromSeconds(7), akka.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
    }

    [Theory]
    [InlineData("port = 4053, seed-nodes = [\"node-1\"]", "actors-mqtt.cluster.seed-nodes", "'node-1' is not host:port")]
    [InlineData("port = 4053, seed-nodes = [\"node-1:0\"]", "actors-mqtt.cluster.seed-nodes", "'node-1:0' is not host:port")]
    [InlineData("port = 4053, seed-nodes = [\"fd00::1:4053\"]", "actors-mqtt.cluster.seed-nodes", "an IPv6 address goes in brackets")]
    [InlineData("seed-nodes = [\"node-1:4053\"]", "actors-mqtt.cluster.port", "give it a fixed port")]
    [InlineData("port = 4053, seed-nodes = [\"node-1:4053\"], discovery { method = config, config.endpoints = [\"node-1:8558\"] }", "actors-mqtt.cluster.seed-nodes", "one or the other")]
    [InlineData("port = 4053, discovery.method = dns", "actors-mqtt.cluster.discovery.method", "'dns' is not a discovery method")]
    [InlineData("discovery.method = kubernetes-api", "actors-mqtt.cluster.port", "give it a fixed port")]
    [InlineData("port = 4053, discovery.method = config", "actors-mqtt.cluster.discovery.config.endpoints", "is empty")]
    [InlineData("port = 4053, discovery { method = config, config.endpoints = [\"node-1\"] }", "actors-mqtt.cluster.discovery.config.endpoints", "'node-1' is not host:port")]
    [InlineData("port = 4053, discovery { method = kubernetes-api, config.endpoints = [\"node-1:8558\"] }", "actors-mqtt.cluster.discovery.config.endpoints", "only with method = config")]
    [InlineData("port = 4053, discovery { method = kubernetes-api, required-contact-points = 0 }", "actors-mqtt.cluster.discovery.required-contact-points", "out of range")]
    [InlineData("port = 4053, discovery { method = kubernetes-api, management.port = 0 }", "actors-mqtt.cluster.discovery.management.port", "out of range")]
    [InlineData("port = 4053, discovery { method = kubernetes-api, service-name = \"a b\" }", "actors-mqtt.cluster.discovery.service-name", "is not a name")]
    [InlineData("port = 70000", "actors-mqtt.cluster.port", "out of range")]
    [InlineData("hostname = \"\"", "actors-mqtt.cluster.hostname", "is not a host name")]
    [InlineData("split-brain-resolver.stable-after = 0s", "actors-mqtt.cluster.split-brain-resolver.stable-after", "longer than 0")]
    public void A_wrong_cluster_setting_is_refused_with_its_key(string setting, string key, string problem)
    {
        var config = ConfigurationFactory.ParseString($"actors-mqtt.cluster {{ {setting} }}");

        var error = Assert.Throws<ConfigurationException>(() => BrokerSettings.From(config));
        Assert.Equal(key, error.Data[BrokerSettings.KeyData]);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
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
