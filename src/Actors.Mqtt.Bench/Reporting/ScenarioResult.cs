using System.Text.Json.Serialization;

namespace Actors.Mqtt.Bench.Reporting;

/// <summary>One scenario against one broker: counts, rates, CPU and memory (the JSON the build script reads).</summary>
public sealed record ScenarioResult
{
    public required string Scenario { get; init; }

    public required string Broker { get; init; }

    /// <summary>No error, and every delivery the scenario requires arrived.</summary>
    public required bool Ok { get; init; }

    public required IReadOnlyList<string> Errors { get; init; }

    public required IReadOnlyList<string> Notes { get; init; }

    public required long Sent { get; init; }

    public required long Expected { get; init; }

    public required long Delivered { get; init; }

    public required long Lost { get; init; }

    public required long Duplicates { get; init; }

    /// <summary>Deliveries (connections, for the storm) per second over the throughput window.</summary>
    public required double? MessagesPerSecond { get; init; }

    /// <summary>The throughput window: first send to last receive.</summary>
    public required double MeasuredSeconds { get; init; }

    /// <summary>The whole scenario, setup and teardown included: the span CPU is measured over.</summary>
    public required double WallSeconds { get; init; }

    public required double? BrokerCpuSeconds { get; init; }

    /// <summary>Broker CPU per delivered message (per connection for the storm), in microseconds.</summary>
    public required double? BrokerCpuMicrosPerMessage { get; init; }

    public required double GeneratorCpuSeconds { get; init; }

    /// <summary>Cores the broker kept busy on average over the load phase (without a final wait for lost messages).</summary>
    public required double? BrokerCores { get; init; }

    public required double GeneratorCores { get; init; }

    /// <summary>
    /// The side that used more CPU (broker or load generator); neither (paced or waiting) when both stayed under half a
    /// core; unknown without a broker pid.
    /// </summary>
    public required string Bottleneck { get; init; }

    public required long? LatencyP50Micros { get; init; }

    public required long? LatencyP99Micros { get; init; }

    public required long? LatencyMaxMicros { get; init; }

    public required int? Connections { get; init; }

    public required double? ConnectionsPerSecond { get; init; }

    public required long? RssStartBytes { get; init; }

    public required long? RssPeakBytes { get; init; }

    public required long? RssEndBytes { get; init; }

    public required long? RssPerConnectionBytes { get; init; }

    public required double? RssPerTopicBytes { get; init; }

    /// <summary>Failover: QoS 1 messages the broker acknowledged to the publisher; left out of other scenarios' JSON.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Acknowledged { get; init; }

    /// <summary>
    /// Failover: seconds from the kill until every subscriber had received a message published after it; left out of
    /// other scenarios' JSON.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? FailoverSeconds { get; init; }

    /// <summary>Persistent fleet, create phase: the broker's RSS once stable after the sessions were created and their
    /// messages queued; left out of other scenarios' JSON.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? RssSettledBytes { get; init; }

    /// <summary>Persistent fleet, create phase: RSS growth per offline session with one queued message; left out of
    /// other scenarios' JSON.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? RssPerSessionBytes { get; init; }
}
