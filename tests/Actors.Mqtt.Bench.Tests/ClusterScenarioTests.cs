using System.Diagnostics;
using System.Globalization;
using Actors.Mqtt.Bench.Reporting;
using Actors.Mqtt.Bench.Scenarios;
using Actors.Mqtt.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Actors.Mqtt.Bench.Tests;

[CollectionDefinition(nameof(RunsAlone), DisableParallelization = true)]
public sealed class RunsAlone;

/// <summary>
/// The tool against three broker processes on one PostgreSQL, one --port per node: clients land on the nodes the
/// scenario puts them on (counted by each node's accepted connections), every message still counts, and the failover
/// scenario kills the node at the first port and reports every acknowledged message delivered. Speed is never asserted.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class ClusterScenarioTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>, IDisposable
{
    private const string Accepted = "actors_mqtt_connections_accepted_total";
    private readonly string jsonFile = Path.Combine(Path.GetTempPath(), $"bench-cluster-{Guid.NewGuid():N}.json");

    [Fact]
    public async Task Pairs_put_the_publisher_on_one_node_and_its_subscriber_on_the_next_and_one_port_keeps_everyone_on_it()
    {
        var nodes = BrokerCluster.Create(await postgres.CreateDatabaseAsync(), 3, out var httpPorts);
        try
        {
            await StartAsync(nodes);
            using var http = new HttpClient();
            var before = await AcceptedAsync(http, httpPorts);

            // Scale 0.003: three pairs; pair k publishes through node k and subscribes through node k + 1.
            var (exitCode, text, error) = await BenchInvocation.RunAsync([
                .. Ports(nodes), "--scenario", "point-to-point", "--scale", "0.003", "--idle-limit", "30", "--no-progress", "--json", jsonFile]);
            Assert.True(exitCode == 0, $"exit code {exitCode}\n{text}\n{error}");
            var result = Assert.Single(JsonReport.FromJson(await File.ReadAllTextAsync(jsonFile)).Results);
            Assert.True(result.Expected > 0, "the scenario expected nothing");
            Assert.Equal(result.Expected, result.Delivered);
            var spread = await AcceptedAsync(http, httpPorts);
            Assert.Equal([2.0, 2.0, 2.0], spread.Zip(before, (a, b) => a - b));

            // One port: the same scenario as against a single broker, every client on that node.
            (exitCode, text, error) = await BenchInvocation.RunAsync(
                "--port", nodes[1].EndPoint.Port.ToString(CultureInfo.InvariantCulture), "--scenario", "point-to-point", "--scale", "0.003", "--idle-limit", "30", "--no-progress");
            Assert.True(exitCode == 0, $"exit code {exitCode}\n{text}\n{error}");
            var single = await AcceptedAsync(http, httpPorts);
            Assert.Equal([0.0, 6.0, 0.0], single.Zip(spread, (a, b) => a - b));

            // Fan-in: every publisher on the first node, the subscriber on the second.
            (exitCode, text, error) = await BenchInvocation.RunAsync([
                .. Ports(nodes), "--scenario", "fan-in-qos1", "--scale", "0.002", "--idle-limit", "30", "--no-progress"]);
            Assert.True(exitCode == 0, $"exit code {exitCode}\n{text}\n{error}");
            var fanIn = await AcceptedAsync(http, httpPorts);
            Assert.Equal([8.0, 1.0, 0.0], fanIn.Zip(single, (a, b) => a - b));
        }
        finally
        {
            await StopAsync(nodes);
        }
    }

    [Fact]
    public async Task Failover_kills_the_node_at_the_first_port_and_every_acknowledged_message_arrives()
    {
        var nodes = BrokerCluster.Create(await postgres.CreateDatabaseAsync(), 3, out _);
        try
        {
            await StartAsync(nodes);
            var victim = nodes[2];
            var pid = victim.Pid;
            string[] ports = ["--port", Port(victim), "--port", Port(nodes[0]), "--port", Port(nodes[1])];

            var (exitCode, text, error) = await BenchInvocation.RunAsync([
                .. ports, "--kill-pid", pid.ToString(CultureInfo.InvariantCulture), "--scenario", ScenarioCatalog.ClusterFailover,
                "--scale", "0.2", "--time-limit", "180", "--no-progress", "--json", jsonFile]);
            output.WriteLine(text);

            Assert.True(exitCode == 0, $"exit code {exitCode}\n{text}\n{error}");
            Assert.True(victim.HasExited, "the node at the first port is still running");
            var result = Assert.Single(JsonReport.FromJson(await File.ReadAllTextAsync(jsonFile)).Results);
            Assert.True(result.Ok, string.Join("; ", result.Errors));
            Assert.NotNull(result.FailoverSeconds);
            Assert.True(result.Acknowledged > 0, "nothing acknowledged");
            Assert.Equal(4 * result.Acknowledged, result.Expected);
            Assert.Equal(result.Expected, result.Delivered);
            Assert.Equal(0, result.Lost);
        }
        finally
        {
            await StopAsync(nodes);
        }
    }

    [Fact]
    public async Task Failover_is_refused_without_a_kill_pid_with_fewer_than_three_nodes_or_for_a_process_not_listening_there()
    {
        var (noPid, _, noPidError) = await BenchInvocation.RunAsync("--port", "1883", "--port", "1884", "--port", "1885", "--scenario", ScenarioCatalog.ClusterFailover, "--no-progress");
        Assert.Equal(BenchCommand.Refused, noPid);
        Assert.Contains("--kill-pid", noPidError, StringComparison.Ordinal);

        // This test process listens on no port of a broker: a typo'd pid is refused before anything is killed.
        using var sleeper = Process.Start("sleep", "60");
        try
        {
            var pid = sleeper.Id.ToString(CultureInfo.InvariantCulture);
            var (notListening, _, notListeningError) = await BenchInvocation.RunAsync("--port", "1883", "--port", "1884", "--port", "1885", "--kill-pid", pid, "--scenario", ScenarioCatalog.ClusterFailover, "--no-progress");
            Assert.Equal(BenchCommand.Refused, notListening);
            Assert.Contains("does not listen on port 1883", notListeningError, StringComparison.Ordinal);

            var (twoNodes, _, twoNodesError) = await BenchInvocation.RunAsync("--port", "1883", "--port", "1884", "--scenario", ScenarioCatalog.ClusterFailover, "--kill-pid", pid, "--no-progress");
            Assert.Equal(BenchCommand.Refused, twoNodes);
            Assert.False(sleeper.HasExited, "a refused run killed the process");
            Assert.Contains("three nodes", twoNodesError, StringComparison.Ordinal);
        }
        finally
        {
            sleeper.Kill();
        }
    }

    public void Dispose() => File.Delete(jsonFile);

    private static string Port(BrokerProcess node) => node.EndPoint.Port.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<string> Ports(BrokerProcess[] nodes) => nodes.SelectMany(n => new[] { "--port", Port(n) });

    private static async Task StartAsync(BrokerProcess[] nodes)
    {
        await nodes[0].StartAsync();
        await Task.WhenAll(nodes[1].StartAsync(), nodes[2].StartAsync());
    }

    private async Task StopAsync(BrokerProcess[] nodes)
    {
        foreach (var node in nodes)
        {
            output.WriteLine(node.Output);
            await node.DisposeAsync();
        }
    }

    private static async Task<double[]> AcceptedAsync(HttpClient http, int[] httpPorts) =>
        await Task.WhenAll(httpPorts.Select(async p => Scrape.Parse(await http.GetStringAsync($"http://127.0.0.1:{p}/metrics")).Of(Accepted)));
}
