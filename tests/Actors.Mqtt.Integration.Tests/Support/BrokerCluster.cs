namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// Broker processes that form one cluster on one PostgreSQL database: each on its own cluster and monitoring port,
/// every one with the same seed nodes (all of them), as docs/cluster.md sets them up.
/// </summary>
public static class BrokerCluster
{
    /// <summary>The nodes, not started; <paramref name="httpPorts"/> are their monitoring ports.</summary>
    /// <param name="more">Further <c>--set</c> settings for every node.</param>
    public static BrokerProcess[] Create(string database, int count, out int[] httpPorts, params string[] more)
    {
        var clusterPorts = Enumerable.Range(0, count).Select(_ => BrokerProcess.FreePort()).ToArray();
        var http = Enumerable.Range(0, count).Select(_ => BrokerProcess.FreePort()).ToArray();
        var seeds = string.Join(",", clusterPorts.Select(p => $"127.0.0.1:{p}"));
        httpPorts = http;
        return [.. Enumerable.Range(0, count).Select(i => new BrokerProcess(
            Directory.CreateTempSubdirectory($"actors-mqtt-cluster-{i}-").FullName,
            [
                "actors-mqtt.log.level=information",
                "actors-mqtt.persistence.store=postgresql",
                $"actors-mqtt.persistence.postgresql.connection-string={database}",
                $"actors-mqtt.cluster.port={clusterPorts[i]}",
                $"actors-mqtt.cluster.seed-nodes={seeds}",
                "actors-mqtt.cluster.split-brain-resolver.stable-after=5s",
                "actors-mqtt.http.host=127.0.0.1",
                $"actors-mqtt.http.port={http[i]}",
                .. more,
            ]))];
    }
}
