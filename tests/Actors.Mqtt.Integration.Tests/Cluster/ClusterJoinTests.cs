using System.Diagnostics;
using System.Net.Sockets;
using Actors.Mqtt.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Actors.Mqtt.Integration.Tests.Cluster;

/// <summary>
/// Nodes find each other through the seed nodes of <c>actors-mqtt.cluster</c>: three broker processes on one shared
/// PostgreSQL form one cluster whatever order they start in, a node that is not the first seed waits for one instead of
/// starting a cluster of its own, and a node that stops (SIGTERM) leaves the others' membership.
/// </summary>
[Collection(nameof(RunsAlone))]
public class ClusterJoinTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Three_nodes_with_the_same_seeds_form_one_cluster_and_a_stopped_node_leaves_it()
    {
        var database = await postgres.CreateDatabaseAsync();
        var nodes = BrokerCluster.Create(database, 3, out var httpPorts);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            // The second and third seeds first: they must wait for the first, not each start a cluster of their own.
            var later = new[] { nodes[1].StartAsync(), nodes[2].StartAsync() };
            await WaitForAsync(() => nodes[1].Output.Contains("joining through seed nodes", StringComparison.Ordinal)
                && nodes[2].Output.Contains("joining through seed nodes", StringComparison.Ordinal), "the later seeds to start joining");
            Assert.False(await AcceptsAsync(nodes[1]), "the second seed serves MQTT before it joined a cluster");
            Assert.False(await AcceptsAsync(nodes[2]), "the third seed serves MQTT before it joined a cluster");

            await nodes[0].StartAsync();
            await Task.WhenAll(later);
            for (var i = 0; i < 3; i++)
            {
                var port = httpPorts[i];
                await WaitForAsync(async () => await MembersAsync(http, port, "up") == 3, $"node {i + 1} to see three members up");
                Assert.Equal("ready", (await http.GetStringAsync($"http://127.0.0.1:{port}/ready")).Trim());
            }

            await nodes[2].TerminateAsync();
            foreach (var port in httpPorts[..2])
            {
                await WaitForAsync(
                    async () => await MembersAsync(http, port, "up") == 2 && await ScrapeAsync(http, port) is var s && s.Of("actors_mqtt_cluster_unreachable") == 0,
                    $"the node at HTTP port {port} to see the stopped node gone");
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                output.WriteLine(node.Output);
                await node.DisposeAsync();
            }
        }
    }

    private static async Task<double> MembersAsync(HttpClient http, int port, string status) =>
        (await ScrapeAsync(http, port)).Of($"actors_mqtt_cluster_members{{status=\"{status}\"}}");

    private static async Task<Scrape> ScrapeAsync(HttpClient http, int port) =>
        Scrape.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/metrics"));

    private static async Task<bool> AcceptsAsync(BrokerProcess node)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await probe.ConnectAsync(node.EndPoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static Task WaitForAsync(Func<bool> condition, string what) => WaitForAsync(() => Task.FromResult(condition()), what);

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException) when (waited.Elapsed < Patience)
            {
                // The HTTP listener opens with the MQTT ones, once the node is a member.
            }

            Assert.True(waited.Elapsed < Patience, $"gave up waiting for {what}");
            await Task.Delay(200);
        }
    }
}
