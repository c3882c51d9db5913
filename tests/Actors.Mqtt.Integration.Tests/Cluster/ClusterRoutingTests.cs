using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace Actors.Mqtt.Integration.Tests.Cluster;

/// <summary>
/// A message published through any node reaches every matching subscriber, wherever its connection and its session
/// live: three broker processes on one PostgreSQL, clients on chosen nodes.
/// </summary>
[Collection(nameof(RunsAlone))]
public class ClusterRoutingTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Messages_cross_nodes_with_their_QoS_right_after_SUBACK_shared_groups_get_one_copy_retained_ones_are_everywhere_and_a_session_follows_its_client()
    {
        var nodes = BrokerCluster.Create(await postgres.CreateDatabaseAsync(), 3, out var httpPorts);
        var clients = new List<TestClient>();
        HaproxyServer? haproxy = null;
        try
        {
            await nodes[0].StartAsync();
            await Task.WhenAll(nodes[1].StartAsync(), nodes[2].StartAsync());
            haproxy = await HaproxyServer.StartAsync([.. nodes.Select((n, i) => (n.EndPoint.Port, httpPorts[i]))]);
            async Task<TestClient> On(int node, string? clientId = null, Action<MqttClientOptionsBuilder>? configure = null)
            {
                var client = await TestClient.ConnectAsync(
                    MqttProtocolVersion.V500,
                    options =>
                    {
                        options.WithTcpServer("127.0.0.1", nodes[node].EndPoint.Port);
                        configure?.Invoke(options);
                    },
                    clientId);
                clients.Add(client);
                return client;
            }

            // Subscribed on node 1, published through nodes 2 and 3 with no pause after the SUBACK.
            var subscriber = await On(0);
            var first = await On(1);
            var second = await On(2);
            await subscriber.SubscribeAsync("r/#", MqttQualityOfServiceLevel.ExactlyOnce);
            await first.PublishAsync("r/0", "qos0", MqttQualityOfServiceLevel.AtMostOnce);
            await first.PublishAsync("r/1", "qos1", MqttQualityOfServiceLevel.AtLeastOnce);
            await second.PublishAsync("r/2", "qos2", MqttQualityOfServiceLevel.ExactlyOnce);
            var received = new List<MqttApplicationMessage>();
            for (var i = 0; i < 3; i++)
            {
                received.Add(await subscriber.NextAsync(Wait));
            }

            Assert.Equal(
                ["r/0 qos0 AtMostOnce", "r/1 qos1 AtLeastOnce", "r/2 qos2 ExactlyOnce"],
                received.Select(m => $"{m.Topic} {TestClient.Text(m)} {m.QualityOfServiceLevel}").Order());
            await subscriber.ExpectNothingAsync();

            // One shared group with members on nodes 1 and 3: each message published through node 2 reaches one of them.
            var memberA = await On(0);
            var memberB = await On(2);
            await memberA.SubscribeAsync("$share/g/s/#", MqttQualityOfServiceLevel.AtLeastOnce);
            await memberB.SubscribeAsync("$share/g/s/#", MqttQualityOfServiceLevel.AtLeastOnce);
            const int Shared = 20;
            for (var i = 0; i < Shared; i++)
            {
                await first.PublishAsync("s/x", $"m{i}", MqttQualityOfServiceLevel.AtLeastOnce);
            }

            var copies = await Task.WhenAll(DrainAsync(memberA), DrainAsync(memberB));
            Assert.Equal(Enumerable.Range(0, Shared).Select(i => $"m{i}").Order(), copies.SelectMany(c => c).Order());

            // A persistent session subscribed through node 3 queues what node 1 is sent while its client is away, and
            // the client gets it through node 2.
            var persistent = await On(2, "roamer", o => o.WithCleanStart(false).WithSessionExpiryInterval(3600));
            await persistent.SubscribeAsync("q/#", MqttQualityOfServiceLevel.AtLeastOnce);
            await persistent.Client.DisconnectAsync();
            var publisher = await On(0);
            for (var i = 0; i < 5; i++)
            {
                await publisher.PublishAsync("q/x", $"queued{i}", MqttQualityOfServiceLevel.AtLeastOnce);
            }

            var back = await On(1, "roamer", o => o.WithCleanStart(false).WithSessionExpiryInterval(3600));
            Assert.True(back.ConnectResult.IsSessionPresent);
            var queued = new List<string>();
            for (var i = 0; i < 5; i++)
            {
                queued.Add(TestClient.Text(await back.NextAsync(Wait)));
            }

            Assert.Equal(Enumerable.Range(0, 5).Select(i => $"queued{i}"), queued);

            // A retained message set through node 1 is what a subscriber through node 3 gets on subscribing.
            await publisher.Client.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic("status/door")
                .WithPayload("open")
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithRetainFlag()
                .Build());
            var late = await On(2);
            await late.SubscribeAsync("status/+", MqttQualityOfServiceLevel.AtLeastOnce);
            var retained = await late.NextAsync(Wait);
            Assert.Equal(("status/door", "open", true), (retained.Topic, TestClient.Text(retained), retained.Retain));

            // A client still connected through node 2 is taken over by a connection through node 3: the old one is told
            // [MQTT-3.1.4-3], and the new one has the session, with what was queued for it.
            var taking = await On(2, "roamer", o => o.WithCleanStart(false).WithSessionExpiryInterval(3600));
            Assert.True(taking.ConnectResult.IsSessionPresent);
            var taken = await back.Disconnected.WaitAsync(Wait);
            Assert.Equal(MqttClientDisconnectReason.SessionTakenOver, taken.Reason);
            await publisher.PublishAsync("q/y", "after-takeover", MqttQualityOfServiceLevel.AtLeastOnce);
            Assert.Equal("after-takeover", TestClient.Text(await taking.NextAsync(Wait)));

            // Through HAProxy, which spreads connections over the nodes round robin: three subscribers and a publisher.
            var behind = new List<TestClient>();
            for (var i = 0; i < 4; i++)
            {
                var client = await TestClient.ConnectAsync(MqttProtocolVersion.V311, o => o.WithTcpServer("127.0.0.1", haproxy.EndPoint.Port));
                clients.Add(client);
                behind.Add(client);
            }

            foreach (var client in behind[..3])
            {
                await client.SubscribeAsync("lb/+", MqttQualityOfServiceLevel.AtLeastOnce);
            }

            await behind[3].PublishAsync("lb/1", "balanced", MqttQualityOfServiceLevel.AtLeastOnce);
            foreach (var client in behind[..3])
            {
                Assert.Equal("balanced", TestClient.Text(await client.NextAsync(Wait)));
            }

            // Each node publishes its own $SYS values under its own name, retained, none over another's.
            var watcher = await On(0);
            await watcher.SubscribeAsync("$SYS/+/+/uptime");
            var uptimes = new HashSet<string>();
            while (uptimes.Count < 3)
            {
                uptimes.Add((await watcher.NextAsync(Wait)).Topic);
            }

            Assert.All(uptimes, topic => Assert.Matches(@"^\$SYS/brokers/127\.0\.0\.1:[0-9]+/uptime$", topic));
            var mosquittoNames = await On(1);
            await mosquittoNames.SubscribeAsync("$SYS/broker/#");
            await mosquittoNames.ExpectNothingAsync();
        }
        finally
        {
            if (haproxy is not null)
            {
                output.WriteLine(haproxy.Output);
                await haproxy.DisposeAsync();
            }

            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            foreach (var node in nodes)
            {
                output.WriteLine(node.Output);
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>What a client receives until nothing more comes for two seconds.</summary>
    private static async Task<List<string>> DrainAsync(TestClient client)
    {
        var texts = new List<string>();
        while (true)
        {
            try
            {
                texts.Add(TestClient.Text(await client.NextAsync(TimeSpan.FromSeconds(2))));
            }
            catch (TimeoutException)
            {
                return texts;
            }
        }
    }
}
