using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>What the broker does on its side of MQTT 5 features: topic aliases it sets, the keep alive it imposes.</summary>
public class ServerToClientTests(ServerToClientTests.Broker broker) : IClassFixture<ServerToClientTests.Broker>
{
    [Fact]
    [Trait("spec", "MQTT-3.3.2-11")]
    [Trait("spec", "MQTT-3.1.2-26")]
    public async Task The_broker_aliases_topics_up_to_the_clients_topic_alias_maximum()
    {
        var topic = $"alias/{Guid.NewGuid():N}";
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V500,
            ClientId = "alias-" + Guid.NewGuid().ToString("N")[..8],
            Properties = new MqttProperties { TopicAliasMaximum = 1 },
        });
        await using (client)
        {
            await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic + "/#")] });
            await client.ReceiveAsync<SubAckPacket>();
            await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V311);

            await publisher.PublishAsync(topic + "/first", "1");
            await publisher.PublishAsync(topic + "/first", "2");
            await publisher.PublishAsync(topic + "/second", "3");

            var first = await client.ReceiveAsync<PublishPacket>();
            Assert.Equal((topic + "/first", (ushort?)1), (first.Topic, first.Properties?.TopicAlias));
            var again = await client.ReceiveAsync<PublishPacket>();
            Assert.Equal((string.Empty, (ushort?)1), (again.Topic, again.Properties?.TopicAlias));

            // The one alias the client allows is taken: other topics go out in full, without an alias.
            var second = await client.ReceiveAsync<PublishPacket>();
            Assert.Equal((topic + "/second", (ushort?)null), (second.Topic, second.Properties?.TopicAlias));
        }
    }

    [Fact]
    [Trait("spec", "MQTT-3.1.2-27")]
    public async Task Without_a_topic_alias_maximum_the_broker_sends_no_alias()
    {
        var topic = $"noalias/{Guid.NewGuid():N}";
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V500,
            ClientId = "noalias-" + Guid.NewGuid().ToString("N")[..8],
        });
        await using (client)
        {
            await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic)] });
            await client.ReceiveAsync<SubAckPacket>();
            await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V311);
            await publisher.PublishAsync(topic, "1");
            await publisher.PublishAsync(topic, "2");

            for (var i = 0; i < 2; i++)
            {
                var publish = await client.ReceiveAsync<PublishPacket>();
                Assert.Equal((topic, (ushort?)null), (publish.Topic, publish.Properties?.TopicAlias));
            }
        }
    }

    [Theory]
    [InlineData((ushort)0)]
    [InlineData((ushort)600)]
    [Trait("spec", "MQTT-3.2.2-21")]
    [Trait("spec", "MQTT-3.2.2-22")]
    public async Task A_keep_alive_above_the_brokers_maximum_is_replaced_by_the_server_keep_alive(ushort requested)
    {
        var (client, connAck) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V500,
            ClientId = "ka-" + Guid.NewGuid().ToString("N")[..8],
            KeepAliveSeconds = requested,
        });
        await using (client)
        {
            Assert.Equal((ushort?)1, connAck.Properties?.ServerKeepAlive);

            // The broker holds the client to the keep alive it announced: silence ends the connection.
            await client.ExpectClosedAsync(TimeSpan.FromSeconds(15));
        }
    }

    [Fact]
    public async Task A_keep_alive_within_the_maximum_is_kept_and_not_announced()
    {
        var (client, connAck) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V500,
            ClientId = "ka-" + Guid.NewGuid().ToString("N")[..8],
            KeepAliveSeconds = 1,
        });
        await using (client)
        {
            Assert.Null(connAck.Properties?.ServerKeepAlive);
            await client.SendAsync(PingReqPacket.Instance);
            await client.ReceiveAsync<PingRespPacket>();
        }
    }

    /// <summary>A broker that imposes a keep alive of at most 1 s.</summary>
    public sealed class Broker : IAsyncLifetime
    {
        private readonly BrokerFixture inner = new() { Overrides = ["actors-mqtt.limits.max-keep-alive=1"] };

        public System.Net.IPEndPoint EndPoint => inner.EndPoint;

        public static implicit operator BrokerFixture(Broker broker) => broker.inner;

        public Task InitializeAsync() => inner.InitializeAsync();

        public Task DisposeAsync() => inner.DisposeAsync();
    }
}
