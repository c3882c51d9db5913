using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace Actors.Mqtt.Integration.Tests.Cluster;

/// <summary>
/// A client connected to a node that lives on keeps its session even when the node its session lived on dies: it is
/// either still served or disconnected so that it reconnects, never left connected to a session that is gone.
/// </summary>
[Collection(nameof(RunsAlone))]
public class ClusterNodeLossTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    // Sessions are spread over the three nodes by client id: with twenty, some live on the node that dies (all twenty
    // on the other two has a chance of (2/3)^20, below one in three thousand).
    private const int Clients = 20;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_client_whose_session_lived_on_a_killed_node_is_disconnected_and_finds_its_session_and_its_messages_again()
    {
        var nodes = BrokerCluster.Create(await postgres.CreateDatabaseAsync(), 3, out var httpPorts);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var clients = new List<TestClient>();
        try
        {
            await nodes[0].StartAsync();
            await Task.WhenAll(nodes[1].StartAsync(), nodes[2].StartAsync());
            for (var i = 0; i < Clients; i++)
            {
                var client = await PersistentAsync(nodes[0], $"survivor-{i}");
                await client.SubscribeAsync("loss/#", MqttQualityOfServiceLevel.AtLeastOnce);
                clients.Add(client);
            }

            await nodes[2].KillAsync();

            // Once the dead node is downed, its shards move and a publisher's acknowledgement can wait for their sessions.
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (Scrape.Parse(await http.GetStringAsync($"http://127.0.0.1:{httpPorts[1]}/metrics")).Of("actors_mqtt_cluster_members{status=\"up\"}") != 2)
            {
                Assert.True(waited.Elapsed < Wait, "the killed node was not removed");
                await Task.Delay(200);
            }

            // A delivery sent while a node's shard region had not yet heard of the removal goes to the dead node: its
            // PUBACK never comes, the connection closes after the confirm timeout (0x89 Server busy), and the client
            // sends the message again, as a client does.
            for (var attempt = 1; ; attempt++)
            {
                var publisher = await TestClient.ConnectAsync(MqttProtocolVersion.V500, o => o.WithTcpServer("127.0.0.1", nodes[1].EndPoint.Port));
                clients.Add(publisher);
                try
                {
                    var result = await publisher.Client.PublishAsync(new MQTTnet.MqttApplicationMessageBuilder()
                        .WithTopic("loss/1")
                        .WithPayload("after")
                        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                        .Build());
                    Assert.True(result.IsSuccess, $"PUBACK {result.ReasonCode}");
                    break;
                }
                catch (MQTTnet.Exceptions.MqttClientUnexpectedDisconnectReceivedException e) when (e.ReasonCode == MqttDisconnectReasonCode.ServerBusy && attempt < 3)
                {
                    output.WriteLine($"publish attempt {attempt}: {e.Message}");
                }
            }

            // Each client gets the message on its connection, or is disconnected and gets it once it is back.
            var disconnected = 0;
            for (var i = 0; i < Clients; i++)
            {
                var next = clients[i].NextAsync(Wait);
                var first = await Task.WhenAny(next, clients[i].Disconnected);
                if (first != next)
                {
                    disconnected++;
                    var back = await ReconnectAsync(nodes[i % 2], $"survivor-{i}");
                    clients.Add(back);
                    Assert.True(back.ConnectResult.IsSessionPresent);
                    Assert.Equal("after", TestClient.Text(await back.NextAsync(Wait)));
                }
                else
                {
                    Assert.Equal("after", TestClient.Text(await next));
                }
            }

            output.WriteLine($"{disconnected} of {Clients} clients were disconnected when the node of their session died");
            Assert.NotEqual(0, disconnected);
        }
        finally
        {
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

    [Fact]
    public async Task A_client_that_connects_while_the_node_of_its_session_is_dying_is_answered_once_that_node_is_removed()
    {
        // A connect timeout longer than it takes to notice the death and remove the node (5 s stable-after here), so
        // that only an AttachSession lost on the dying node, and never asked again, leaves a client unanswered.
        var nodes = BrokerCluster.Create(await postgres.CreateDatabaseAsync(), 3, out _, "actors-mqtt.limits.connect-timeout=60s");
        var clients = new List<TestClient>();
        try
        {
            await nodes[0].StartAsync();
            await Task.WhenAll(nodes[1].StartAsync(), nodes[2].StartAsync());
            for (var i = 0; i < Clients; i++)
            {
                await using var first = await PersistentAsync(nodes[0], $"waiting-{i}");
                await first.SubscribeAsync("dying/#", MqttQualityOfServiceLevel.AtLeastOnce);
            }

            await nodes[2].KillAsync();
            var connecting = Enumerable.Range(0, Clients).Select(i => TestClient.ConnectAsync(
                MqttProtocolVersion.V500,
                o => o.WithTcpServer("127.0.0.1", nodes[0].EndPoint.Port).WithCleanStart(false).WithSessionExpiryInterval(3600).WithTimeout(Wait),
                $"waiting-{i}")).ToList();
            var waited = System.Diagnostics.Stopwatch.StartNew();
            foreach (var connect in connecting)
            {
                var client = await connect;
                clients.Add(client);
                Assert.True(client.ConnectResult.IsSessionPresent);
            }

            output.WriteLine($"{Clients} clients connected {waited.Elapsed.TotalSeconds:F1} s after one of the three nodes was killed");
        }
        finally
        {
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

    private static Task<TestClient> PersistentAsync(BrokerProcess node, string clientId) =>
        TestClient.ConnectAsync(
            MqttProtocolVersion.V500,
            o => o.WithTcpServer("127.0.0.1", node.EndPoint.Port).WithCleanStart(false).WithSessionExpiryInterval(3600),
            clientId);

    /// <summary>Connects again as a client does after its connection was closed: a CONNECT that arrives while the
    /// session is still starting on another node may be closed, and is tried again a second later.</summary>
    private static async Task<TestClient> ReconnectAsync(BrokerProcess node, string clientId)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await PersistentAsync(node, clientId);
            }
            catch (MQTTnet.Adapter.MqttConnectingFailedException) when (attempt < 10)
            {
                await Task.Delay(1000);
            }
        }
    }
}
