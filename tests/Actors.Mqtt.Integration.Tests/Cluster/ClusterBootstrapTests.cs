using System.Diagnostics;
using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace Actors.Mqtt.Integration.Tests.Cluster;

/// <summary>
/// Nodes with no seed nodes find each other through Akka.Management's cluster bootstrap, with the <c>config</c>
/// discovery method listing every node's management endpoint: the path Kubernetes discovery takes, with a fixed list
/// where Kubernetes would list the pods.
/// </summary>
[Collection(nameof(RunsAlone))]
public class ClusterBootstrapTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Three_nodes_found_by_discovery_form_one_cluster_and_carry_a_message_between_nodes()
    {
        var nodes = BrokerCluster.CreateBootstrapped(await postgres.CreateDatabaseAsync(), 3, out var httpPorts);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var clients = new List<TestClient>();
        try
        {
            // All at once: none may form a cluster before it has found the other two, so they form one, not three.
            await Task.WhenAll(nodes.Select(n => n.StartAsync()));
            for (var i = 0; i < 3; i++)
            {
                var port = httpPorts[i];
                await WaitForAsync(async () => await MembersUpAsync(http, port) == 3, $"node {i + 1} to see three members up");
                Assert.Equal("ready", (await http.GetStringAsync($"http://127.0.0.1:{port}/ready")).Trim());
                Assert.Contains("joining through cluster bootstrap", nodes[i].Output, StringComparison.Ordinal);
            }

            var subscriber = await TestClient.ConnectAsync(MqttProtocolVersion.V500, o => o.WithTcpServer("127.0.0.1", nodes[2].EndPoint.Port));
            clients.Add(subscriber);
            var publisher = await TestClient.ConnectAsync(MqttProtocolVersion.V500, o => o.WithTcpServer("127.0.0.1", nodes[0].EndPoint.Port));
            clients.Add(publisher);
            await subscriber.SubscribeAsync("bootstrap/#", MqttQualityOfServiceLevel.AtLeastOnce);
            await publisher.PublishAsync("bootstrap/1", "across", MqttQualityOfServiceLevel.AtLeastOnce);

            var received = await subscriber.NextAsync(TimeSpan.FromSeconds(20));
            Assert.Equal("bootstrap/1 across AtLeastOnce", $"{received.Topic} {TestClient.Text(received)} {received.QualityOfServiceLevel}");

            // A node of a bootstrapped cluster is one of several too: its $SYS values go under its own name.
            await subscriber.SubscribeAsync("$SYS/+/+/uptime");
            Assert.StartsWith("$SYS/brokers/127.0.0.1:", (await subscriber.NextAsync(TimeSpan.FromSeconds(20))).Topic, StringComparison.Ordinal);
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

    private static async Task<double> MembersUpAsync(HttpClient http, int port) =>
        Scrape.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/metrics")).Of("actors_mqtt_cluster_members{status=\"up\"}");

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < Patience, $"gave up waiting for {what}");
            await Task.Delay(200);
        }
    }
}
