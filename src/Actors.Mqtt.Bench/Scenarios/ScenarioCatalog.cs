using Actors.Mqtt.Bench.Clients;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>
/// Every scenario, in the order a full run goes through them. The connection storm comes first: memory freed by
/// the connections of later scenarios would be reused by its connections and hide their cost.
/// </summary>
public static class ScenarioCatalog
{
    public const string All = "all";

    /// <summary>Kills a cluster node: never part of <see cref="All"/>, run only when named.</summary>
    public const string ClusterFailover = "cluster-failover";

    /// <summary>
    /// One phase of a fleet of persistent sessions, the broker restarted between the phases: never part of
    /// <see cref="All"/>, run only when named.
    /// </summary>
    public const string PersistentFleet = "persistent-fleet";

    public static IReadOnlyList<IScenario> Scenarios { get; } =
    [
        new ConnectionStormScenario(),
        new FanInScenario(QualityOfService.AtMostOnce),
        new FanInScenario(QualityOfService.AtMostOnce, SubscriberClient.MqttNet),
        new FanInScenario(QualityOfService.AtLeastOnce),
        new FanOutScenario(),
        new FanOutScenario(SubscriberClient.MqttNet),
        new PointToPointScenario(),
        new PointToPointScenario(QualityOfService.AtLeastOnce),
        new PersistentSessionScenario(),
        new PersistentAckLatencyScenario(),
        new SlowSubscriberScenario(),
        new TopicSpreadScenario(),
        new FleetScenario(),
    ];

    public static IEnumerable<string> Names => Scenarios.Select(s => s.Name);

    /// <summary>
    /// The scenarios named, in catalog order; "all" (or nothing) selects every one but <see cref="ClusterFailover"/> and
    /// <see cref="PersistentFleet"/>, which come last when named.
    /// </summary>
    public static IReadOnlyList<IScenario> Select(IReadOnlyCollection<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        IReadOnlyList<IScenario> chosen = names.Count == 0 || names.Contains(All)
            ? Scenarios
            : [.. Scenarios.Where(s => names.Contains(s.Name))];
        if (names.Contains(ClusterFailover))
        {
            chosen = [.. chosen, new ClusterFailoverScenario()];
        }

        return names.Contains(PersistentFleet) ? [.. chosen, new PersistentFleetScenario()] : chosen;
    }
}
