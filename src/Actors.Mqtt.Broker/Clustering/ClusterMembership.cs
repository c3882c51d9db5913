using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Akka.Cluster;

namespace Actors.Mqtt.Broker.Clustering;

/// <summary>
/// The cluster's members as this node sees them, for <see cref="BrokerMetrics.ClusterMembers"/> and
/// <see cref="BrokerMetrics.ClusterUnreachable"/>: read from the cluster's own view when a scrape asks, so nothing is
/// counted twice or missed between membership events.
/// </summary>
public static class ClusterMembership
{
    private static readonly MemberStatus[] Statuses = Enum.GetValues<MemberStatus>();

    // Every status is reported, 0 included, so that a dashboard or an alert always finds the series.
    private static readonly KeyValuePair<string, object?>[] StatusTags =
        [.. Statuses.Select(s => new KeyValuePair<string, object?>("status", BrokerMetrics.Label(s.ToString())))];

    // One node per process in production; a test process may run several, and the gauges then add them up.
    private static readonly ConcurrentDictionary<Cluster, byte> Nodes = new();

    /// <summary>Reports <paramref name="cluster"/>'s view from now until its actor system terminates.</summary>
    public static void Observe(Cluster cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        Nodes.TryAdd(cluster, 0);
        cluster.System.RegisterOnTermination(() => Nodes.TryRemove(cluster, out _));
    }

    internal static IEnumerable<Measurement<long>> Members()
    {
        var counts = new long[Statuses.Length];
        foreach (var cluster in Nodes.Keys)
        {
            foreach (var member in cluster.State.Members)
            {
                counts[Array.IndexOf(Statuses, member.Status)]++;
            }
        }

        for (var i = 0; i < Statuses.Length; i++)
        {
            yield return new Measurement<long>(counts[i], StatusTags[i]);
        }
    }

    internal static long Unreachable() => Nodes.Keys.Sum(cluster => (long)cluster.State.Unreachable.Count);
}
