using Actors.Mqtt.Bench.Measurement;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>What a scenario counted; the runner adds CPU and memory and turns it into a result.</summary>
public sealed class ScenarioOutcome
{
    /// <summary>Messages published (connections attempted, for the connection storm).</summary>
    public long Sent { get; set; }

    /// <summary>Deliveries the scenario waits for: messages times the subscribers that should get them.</summary>
    public long Expected { get; set; }

    /// <summary>Distinct deliveries counted.</summary>
    public long Delivered { get; set; }

    public long Duplicates { get; set; }

    /// <summary>When set, a delivery missing is a failure (QoS 1, persistent sessions); QoS 0 loss is only reported.</summary>
    public bool RequireAll { get; set; }

    /// <summary>Seconds from the first message sent to the last one received: the throughput window.</summary>
    public double MeasuredSeconds { get; set; }

    public LatencySummary? Latency { get; set; }

    /// <summary>Connections held open at once by the scenario.</summary>
    public int? Connections { get; set; }

    /// <summary>Connections per second while opening them (connection storm).</summary>
    public double? ConnectRate { get; set; }

    /// <summary>Growth of the broker's RSS per connection held (connection storm).</summary>
    public long? RssPerConnectionBytes { get; set; }

    /// <summary>Growth of the broker's RSS per distinct topic published (topic spread); may be below 0.</summary>
    public double? RssPerTopicBytes { get; set; }

    /// <summary>QoS 1 messages the publisher had acknowledged (failover).</summary>
    public long? Acknowledged { get; set; }

    /// <summary>Seconds from a node's kill until every subscriber received a message published after it (failover).</summary>
    public double? FailoverSeconds { get; set; }

    /// <summary>The broker's RSS once stable after the load (persistent fleet, create phase).</summary>
    public long? RssSettledBytes { get; set; }

    /// <summary>Growth of the broker's RSS per offline persistent session, each with one queued message (persistent fleet).</summary>
    public long? RssPerSessionBytes { get; set; }

    /// <summary>Scenario-specific facts for the human line and the JSON.</summary>
    public List<string> Notes { get; } = [];
}
