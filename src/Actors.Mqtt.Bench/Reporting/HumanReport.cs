using System.Globalization;
using System.Text;

namespace Actors.Mqtt.Bench.Reporting;

/// <summary>The one-line summary of a result an operator reads in the terminal.</summary>
public static class HumanReport
{
    private const double MiB = 1024 * 1024;

    public static string Line(ScenarioResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var c = CultureInfo.InvariantCulture;
        var line = new StringBuilder();
        line.Append(c, $"[{result.Broker}] {result.Scenario}: {(result.Ok ? "ok" : "FAILED")}; ");
        line.Append(c, $"{result.Delivered}/{result.Expected} delivered ({result.Lost} lost, {result.Duplicates} dup)");
        if (result.MessagesPerSecond is { } rate)
        {
            line.Append(c, $", {rate:N0}/s over {result.MeasuredSeconds:F2} s");
        }

        if (result.FailoverSeconds is { } failover)
        {
            line.Append(c, $"; failover {failover:F2} s, {result.Acknowledged} acknowledged");
        }

        if (result.LatencyP50Micros is { } p50)
        {
            line.Append(c, $"; latency p50 {p50} us, p99 {result.LatencyP99Micros} us, max {result.LatencyMaxMicros} us");
        }

        if (result.ConnectionsPerSecond is { } connectRate)
        {
            line.Append(c, $"; {connectRate:N0} connections/s");
        }

        if (result.RssPerConnectionBytes is { } perConnection)
        {
            line.Append(c, $", {perConnection / 1024.0:F1} KiB RSS per connection");
        }

        if (result.RssPerSessionBytes is { } perSession)
        {
            line.Append(c, $", {perSession / 1024.0:F1} KiB RSS per offline session (RSS settled at {result.RssSettledBytes / MiB:F0} MiB)");
        }

        if (result.RssPerTopicBytes is { } perTopic)
        {
            line.Append(c, $", {perTopic:F1} B RSS per distinct topic");
        }

        if (result.BrokerCpuSeconds is { } brokerCpu)
        {
            line.Append(c, $"; broker CPU {brokerCpu:F2} s ({result.BrokerCpuMicrosPerMessage:F1} us/unit, {result.BrokerCores:F2} cores)");
        }

        line.Append(c, $"; generator CPU {result.GeneratorCpuSeconds:F2} s ({result.GeneratorCores:F2} cores); bottleneck: {result.Bottleneck}");
        if (result.RssStartBytes is { } start && result.RssPeakBytes is { } peak && result.RssEndBytes is { } end)
        {
            line.Append(c, $"; broker RSS {start / MiB:F0} -> peak {peak / MiB:F0} -> {end / MiB:F0} MiB");
        }

        foreach (var note in result.Notes)
        {
            line.Append(c, $"; {note}");
        }

        foreach (var error in result.Errors)
        {
            line.Append(c, $"\n  error: {error}");
        }

        return line.ToString();
    }
}
