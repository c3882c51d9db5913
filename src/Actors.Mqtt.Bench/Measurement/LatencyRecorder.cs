using System.Diagnostics;
using HdrHistogram;

namespace Actors.Mqtt.Bench.Measurement;

/// <summary>
/// Latencies in microseconds, from the time stamped on a message (when it went out, <see cref="SendSchedule"/>) to
/// its arrival or its acknowledgement.
/// </summary>
public sealed class LatencyRecorder
{
    private static readonly long HighestMicros = (long)TimeSpan.FromMinutes(5).TotalMicroseconds;
    private readonly LongHistogram histogram = new(HighestMicros, 3);
    private readonly Lock gate = new();

    public long Count
    {
        get
        {
            lock (gate)
            {
                return histogram.TotalCount;
            }
        }
    }

    public void Record(long dueTicks, long arrivedTicks)
    {
        var micros = (long)Stopwatch.GetElapsedTime(dueTicks, arrivedTicks).TotalMicroseconds;
        lock (gate)
        {
            histogram.RecordValue(Math.Clamp(micros, 0, HighestMicros));
        }
    }

    /// <summary>p50, p99 and max in microseconds, or null when nothing was recorded.</summary>
    public LatencySummary? Summarize()
    {
        lock (gate)
        {
            return histogram.TotalCount == 0
                ? null
                : new LatencySummary(histogram.GetValueAtPercentile(50), histogram.GetValueAtPercentile(99), histogram.GetMaxValue());
        }
    }
}

public sealed record LatencySummary(long P50Micros, long P99Micros, long MaxMicros);
