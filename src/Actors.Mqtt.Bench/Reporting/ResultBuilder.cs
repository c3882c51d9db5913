using Actors.Mqtt.Bench.Measurement;
using Actors.Mqtt.Bench.Scenarios;

namespace Actors.Mqtt.Bench.Reporting;

/// <summary>Turns what a scenario counted and what the meter read into a result, and judges the bottleneck.</summary>
public static class ResultBuilder
{
    // Below half a core each, neither side was working hard: the load was paced, or both waited on something.
    private const double BusyCores = 0.5;

    /// <param name="idleLimit">How long the scenario waited, after the last delivery, for lost messages.</param>
    public static ScenarioResult Build(string scenario, string broker, TimeSpan idleLimit, ScenarioOutcome outcome, MeterReading reading, IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(reading);
        ArgumentNullException.ThrowIfNull(errors);
        var lost = Math.Max(0, outcome.Expected - outcome.Delivered);
        var allErrors = errors.ToList();
        if (outcome.RequireAll && lost > 0)
        {
            allErrors.Add($"{lost} of {outcome.Expected} deliveries missing");
        }

        // A scenario that gave up waiting for lost messages spent its last idle limit doing nothing: leave it out.
        var busySeconds = reading.WallSeconds - outcome.MeasuredSeconds >= idleLimit.TotalSeconds
            ? Math.Max(outcome.MeasuredSeconds, reading.WallSeconds - idleLimit.TotalSeconds)
            : reading.WallSeconds;
        var brokerCores = reading.BrokerCpuSeconds / busySeconds;
        var generatorCores = reading.GeneratorCpuSeconds / busySeconds;
        var perUnit = outcome.Delivered > 0 ? reading.BrokerCpuSeconds * 1e6 / outcome.Delivered : null;
        return new ScenarioResult
        {
            Scenario = scenario,
            Broker = broker,
            Ok = allErrors.Count == 0,
            Errors = allErrors,
            Notes = [.. outcome.Notes],
            Sent = outcome.Sent,
            Expected = outcome.Expected,
            Delivered = outcome.Delivered,
            Lost = lost,
            Duplicates = outcome.Duplicates,
            MessagesPerSecond = outcome.MeasuredSeconds > 0 ? outcome.Delivered / outcome.MeasuredSeconds : null,
            MeasuredSeconds = outcome.MeasuredSeconds,
            WallSeconds = reading.WallSeconds,
            BrokerCpuSeconds = reading.BrokerCpuSeconds,
            BrokerCpuMicrosPerMessage = perUnit,
            GeneratorCpuSeconds = reading.GeneratorCpuSeconds,
            BrokerCores = brokerCores,
            GeneratorCores = generatorCores,
            Bottleneck = Bottleneck(brokerCores, generatorCores),
            LatencyP50Micros = outcome.Latency?.P50Micros,
            LatencyP99Micros = outcome.Latency?.P99Micros,
            LatencyMaxMicros = outcome.Latency?.MaxMicros,
            Connections = outcome.Connections,
            ConnectionsPerSecond = outcome.ConnectRate,
            RssStartBytes = reading.RssStartBytes,
            RssPeakBytes = reading.RssPeakBytes,
            RssEndBytes = reading.RssEndBytes,
            RssPerConnectionBytes = outcome.RssPerConnectionBytes,
            RssPerTopicBytes = outcome.RssPerTopicBytes,
            Acknowledged = outcome.Acknowledged,
            FailoverSeconds = outcome.FailoverSeconds,
            RssSettledBytes = outcome.RssSettledBytes,
            RssPerSessionBytes = outcome.RssPerSessionBytes,
        };
    }

    private static string Bottleneck(double? brokerCores, double generatorCores)
    {
        if (brokerCores is not { } broker)
        {
            return "unknown (no --broker-pid)";
        }

        if (broker < BusyCores && generatorCores < BusyCores)
        {
            return "neither (paced or waiting)";
        }

        return broker >= generatorCores ? "broker" : "load generator";
    }
}
