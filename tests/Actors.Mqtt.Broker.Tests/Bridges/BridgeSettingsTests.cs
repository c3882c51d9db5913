using Actors.Mqtt.Broker.Bridges;
using Actors.Mqtt.Protocol;
using Akka.Configuration;

namespace Actors.Mqtt.Broker.Tests.Bridges;

public class BridgeSettingsTests
{
    [Fact]
    public void No_bridge_is_configured_by_default()
    {
        Assert.Empty(BrokerSettings.From(BrokerSettings.Reference).Bridges);
    }

    [Fact]
    public void A_bridge_takes_the_defaults_for_what_it_does_not_set()
    {
        var bridge = Assert.Single(Read("""
            actors-mqtt.bridges.cloud {
              address = "mqtt.example.com"
              topics = [ { pattern = "sensors/#" } ]
            }
            """));

        Assert.Equal(("cloud", "mqtt.example.com", 1883, MqttProtocolVersion.V311), (bridge.Name, bridge.Host, bridge.Port, bridge.Protocol));
        Assert.Equal(Environment.MachineName + ".cloud", bridge.RemoteClientId);
        Assert.Equal("$bridge/cloud", bridge.LocalClientId);
        Assert.False(bridge.CleanSession);
        Assert.Equal((null, null), (bridge.MaxQueuedMessages, bridge.MaxQueuedBytes));
        Assert.False(bridge.Tls.Enabled);
        Assert.Equal((TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)), (bridge.KeepAlive, bridge.RestartBase, bridge.RestartCap));
        Assert.Equal(new BridgeTopic("sensors/#", BridgeDirection.Out, QualityOfService.AtMostOnce, "", ""), Assert.Single(bridge.Topics));
    }

    [Fact]
    public void A_bridge_may_bound_its_queue_apart_from_every_other_session()
    {
        var bridge = Assert.Single(Read("""
            actors-mqtt.bridges.cloud {
              address = "mqtt.example.com"
              max-queued-messages = 5000
              max-queued-bytes = 64MiB
              topics = [ { pattern = "sensors/#" } ]
            }
            """));

        Assert.Equal((5000, 64L * 1024 * 1024), (bridge.MaxQueuedMessages, bridge.MaxQueuedBytes));
    }

    [Fact]
    public void Prefixes_trade_places_as_a_topic_crosses()
    {
        var topic = Assert.Single(Assert.Single(Read("""
            actors-mqtt.bridges.cloud {
              address = "10.0.0.1:8883"
              protocol = mqttv5
              topics = [ { pattern = "sensors/#", direction = both, qos = 2, local-prefix = "here/", remote-prefix = "site-1/" } ]
            }
            """)).Topics);

        Assert.Equal(("here/sensors/#", "site-1/sensors/#"), (topic.LocalFilter, topic.RemoteFilter));
        Assert.Equal("site-1/sensors/a", topic.ToRemote("here/sensors/a"));
        Assert.Equal("here/sensors/a", topic.ToLocal("site-1/sensors/a"));
        Assert.True(topic.In && topic.Out);
    }

    [Fact]
    public void A_CA_file_turns_TLS_on_as_Mosquittos_bridge_cafile_does()
    {
        var ca = Path.GetTempFileName();
        try
        {
            var bridge = Assert.Single(Read($$"""
                actors-mqtt.bridges.cloud {
                  address = "10.0.0.1:8883"
                  tls.ca-file = "{{ca}}"
                  topics = [ { pattern = "a" } ]
                }
                """));

            Assert.True(bridge.Tls.Enabled);
            Assert.Equal(ca, bridge.Tls.CaFile);
        }
        finally
        {
            File.Delete(ca);
        }
    }

    [Theory]
    [InlineData("""address = "h:0", topics = [ { pattern = "a" } ]""", "actors-mqtt.bridges.cloud.address")]
    [InlineData("""address = "h", topics = []""", "actors-mqtt.bridges.cloud")]
    [InlineData("""address = "h", protocol = mqttv31, topics = [ { pattern = "a" } ]""", "actors-mqtt.bridges.cloud.protocol")]
    [InlineData("""address = "h", topics = [ { pattern = "a", qos = 3 } ]""", "actors-mqtt.bridges.cloud.topics")]
    [InlineData("""address = "h", topics = [ { pattern = "a/#/b" } ]""", "actors-mqtt.bridges.cloud.topics")]
    [InlineData("""address = "h", tls.certificate = "c.pem", topics = [ { pattern = "a" } ]""", "actors-mqtt.bridges.cloud.tls.private-key")]
    [InlineData("""address = "h", tls.ca-file = "/no/such/ca.pem", topics = [ { pattern = "a" } ]""", "actors-mqtt.bridges.cloud.tls.ca-file")]
    [InlineData("""address = "h", restart-timeout-base = 10s, restart-timeout-cap = 1s, topics = [ { pattern = "a" } ]""", "actors-mqtt.bridges.cloud.restart-timeout-cap")]
    public void A_bad_value_names_its_key(string body, string key)
    {
        var error = Assert.Throws<ConfigurationException>(() => Read($"actors-mqtt.bridges.cloud {{ {body} }}"));

        Assert.Equal(key, error.Data[BrokerSettings.KeyData]);
    }

    private static IReadOnlyList<BridgeSettings> Read(string hocon) => BrokerSettings.From(ConfigurationFactory.ParseString(hocon)).Bridges;
}
