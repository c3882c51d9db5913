namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// Broker processes that form one cluster on one PostgreSQL database: each on its own cluster and monitoring port,
/// every one with the same seed nodes (all of them), or the same discovery endpoints, as docs/cluster.md sets them up.
/// </summary>
public static class BrokerCluster
{
    /// <summary>The nodes, not started; <paramref name="httpPorts"/> are their monitoring ports.</summary>
    /// <param name="more">Further <c>--set</c> settings for every node.</param>
    public static BrokerProcess[] Create(string database, int count, out int[] httpPorts, params string[] more)
    {
        var clusterPorts = Enumerable.Range(0, count).Select(_ => BrokerProcess.FreePort()).ToArray();
        var seeds = string.Join(",", clusterPorts.Select(p => $"127.0.0.1:{p}"));
        return Create(database, clusterPorts, _ => [$"actors-mqtt.cluster.seed-nodes={seeds}", .. more], out httpPorts);
    }

    /// <summary>
    /// The nodes, not started, finding each other through cluster bootstrap with the <c>config</c> discovery method:
    /// no seed nodes, every node listing the management endpoints of all (docs/cluster.md, Kubernetes).
    /// </summary>
    public static BrokerProcess[] CreateBootstrapped(string database, int count, out int[] httpPorts, params string[] more)
    {
        var clusterPorts = Enumerable.Range(0, count).Select(_ => BrokerProcess.FreePort()).ToArray();
        var managementPorts = Enumerable.Range(0, count).Select(_ => BrokerProcess.FreePort()).ToArray();
        var endpoints = string.Join(",", managementPorts.Select(p => $"127.0.0.1:{p}"));
        return Create(
            database,
            clusterPorts,
            i =>
            [
                "actors-mqtt.cluster.discovery.method=config",
                $"actors-mqtt.cluster.discovery.config.endpoints={endpoints}",
                $"actors-mqtt.cluster.discovery.required-contact-points={count}",
                $"actors-mqtt.cluster.discovery.management.port={managementPorts[i]}",
                .. more,
            ],
            out httpPorts);
    }

    private static BrokerProcess[] Create(string database, int[] clusterPorts, Func<int, string[]> join, out int[] httpPorts)
    {
        var http = clusterPorts.Select(_ => BrokerProcess.FreePort()).ToArray();
        httpPorts = http;
        return [.. Enumerable.Range(0, clusterPorts.Length).Select(i => new BrokerProcess(
            Directory.CreateTempSubdirectory($"actors-mqtt-cluster-{i}-").FullName,
            [
                "actors-mqtt.log.level=information",
                "actors-mqtt.persistence.store=postgresql",
                $"actors-mqtt.persistence.postgresql.connection-string={database}",
                $"actors-mqtt.cluster.port={clusterPorts[i]}",
                "actors-mqtt.cluster.split-brain-resolver.stable-after=5s",
                "actors-mqtt.http.host=127.0.0.1",
                $"actors-mqtt.http.port={http[i]}",
                .. join(i),
            ]))];
    }
}
