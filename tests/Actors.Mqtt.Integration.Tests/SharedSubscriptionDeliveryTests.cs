using System.Net;
using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using V = Actors.Mqtt.Protocol.MqttProtocolVersion;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>
/// Where a shared group's messages go (MQTT 5.0 section 4.8.2): to connected members while one is connected, and never
/// into a member's full queue while another member can take them, so a message acknowledged to its publisher reaches
/// the group.
/// </summary>
public sealed class SharedSubscriptionDeliveryTests
{
    [Fact]
    public async Task A_groups_messages_go_to_its_connected_member_not_into_an_offline_members_queue()
    {
        await using var broker = await StartAsync();
        var topic = $"shared-online/{Guid.NewGuid():N}";
        var offline = "off-" + Guid.NewGuid().ToString("N")[..12];
        await SubscribeAndLeaveAsync(broker.EndPoint, offline, $"$share/g/{topic}");

        var (online, _) = await ConnectAsync(broker.EndPoint, "on-" + Guid.NewGuid().ToString("N")[..12]);
        await using (online)
        {
            await SubscribeAsync(online, $"$share/g/{topic}");
            await PublishAsync(broker.EndPoint, topic, Enumerable.Range(0, 10).Select(i => $"m{i}"));

            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"m{i}"), await online.DrainAsync(TimeSpan.FromSeconds(1)));
        }

        Assert.Empty(await ResumeAndDrainAsync(broker.EndPoint, offline));
    }

    [Fact]
    public async Task A_message_an_offline_members_full_queue_cannot_take_goes_to_another_member()
    {
        // Queues of three messages: one member's queue is filled through a subscription of its own, the other's is empty.
        await using var broker = await StartAsync("actors-mqtt.limits.max-queued-messages=3");
        var topic = $"shared-full/{Guid.NewGuid():N}";
        var full = "full-" + Guid.NewGuid().ToString("N")[..12];
        var empty = "empty-" + Guid.NewGuid().ToString("N")[..12];
        await SubscribeAndLeaveAsync(broker.EndPoint, full, $"$share/g/{topic}", $"{topic}/own");
        await SubscribeAndLeaveAsync(broker.EndPoint, empty, $"$share/g/{topic}");
        await PublishAsync(broker.EndPoint, $"{topic}/own", ["own0", "own1", "own2"]);

        // Each is acknowledged to the publisher, so each must reach the group.
        await PublishAsync(broker.EndPoint, topic, ["s0", "s1", "s2"]);

        Assert.Equal(["own0", "own1", "own2"], await ResumeAndDrainAsync(broker.EndPoint, full));
        Assert.Equal(["s0", "s1", "s2"], await ResumeAndDrainAsync(broker.EndPoint, empty));
    }

    [Fact]
    public async Task A_message_no_member_can_take_is_dropped_as_a_full_queue_drops_it_and_still_acknowledged()
    {
        await using var broker = await StartAsync("actors-mqtt.limits.max-queued-messages=2");
        var topic = $"shared-all-full/{Guid.NewGuid():N}";
        var member = "member-" + Guid.NewGuid().ToString("N")[..12];
        await SubscribeAndLeaveAsync(broker.EndPoint, member, $"$share/g/{topic}");

        // The third waits for no write that will never come: its PUBACK goes as for any message a full queue refuses.
        await PublishAsync(broker.EndPoint, topic, ["s0", "s1", "s2"]);

        Assert.Equal(["s0", "s1"], await ResumeAndDrainAsync(broker.EndPoint, member));
    }

    private static async Task<Broker> StartAsync(params string[] overrides)
    {
        var broker = new Broker(new BrokerFixture { Overrides = overrides });
        await broker.Fixture.InitializeAsync();
        return broker;
    }

    private static Task<(RawClient Client, ConnAckPacket ConnAck)> ConnectAsync(IPEndPoint broker, string clientId, bool cleanStart = true) =>
        RawClient.ConnectAsync(broker, new ConnectPacket
        {
            ProtocolVersion = V.V500,
            ClientId = clientId,
            CleanSession = cleanStart,
            Properties = new MqttProperties { SessionExpiryInterval = 600 },
        });

    private static async Task SubscribeAsync(RawClient client, params string[] filters)
    {
        await client.SendAsync(new SubscribePacket
        {
            PacketId = 1,
            Subscriptions = filters.Select(f => new MqttSubscription(f) { MaximumQoS = QualityOfService.AtLeastOnce }).ToList(),
        });
        Assert.All((await client.ReceiveAsync<SubAckPacket>()).ReasonCodes, code => Assert.Equal(ReasonCode.GrantedQoS1, code));
    }

    private static async Task SubscribeAndLeaveAsync(IPEndPoint broker, string clientId, params string[] filters)
    {
        var (client, _) = await ConnectAsync(broker, clientId);
        await using (client)
        {
            await SubscribeAsync(client, filters);
            await client.SendAsync(new DisconnectPacket());
            await client.ExpectClosedAsync();
        }
    }

    /// <summary>Publishes each payload at QoS 1 and waits for its PUBACK, which must say it was accepted.</summary>
    private static async Task PublishAsync(IPEndPoint broker, string topic, IEnumerable<string> payloads)
    {
        var (publisher, _) = await ConnectAsync(broker, "pub-" + Guid.NewGuid().ToString("N")[..12]);
        await using (publisher)
        {
            ushort id = 0;
            foreach (var payload in payloads)
            {
                await publisher.SendAsync(new PublishPacket { Topic = topic, Payload = Encoding.UTF8.GetBytes(payload), QoS = QualityOfService.AtLeastOnce, PacketId = ++id });
                var ack = await publisher.ReceiveAsync<PubAckPacket>();
                Assert.Equal(id, ack.PacketId);
                Assert.Equal(ReasonCode.Success, ack.ReasonCode);
            }
        }
    }

    private static async Task<List<string>> ResumeAndDrainAsync(IPEndPoint broker, string clientId)
    {
        var (client, connAck) = await ConnectAsync(broker, clientId, cleanStart: false);
        await using (client)
        {
            Assert.True(connAck.SessionPresent);
            return await client.DrainAsync(TimeSpan.FromSeconds(1));
        }
    }

    private sealed record Broker(BrokerFixture Fixture) : IAsyncDisposable
    {
        public IPEndPoint EndPoint => Fixture.EndPoint;

        public async ValueTask DisposeAsync() => await Fixture.DisposeAsync();
    }
}
