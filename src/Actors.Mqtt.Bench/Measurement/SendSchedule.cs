using System.Diagnostics;

namespace Actors.Mqtt.Bench.Measurement;

/// <summary>
/// When an open-loop sender sends: message <c>k</c> is due at <c>start + k / rate</c>, whatever the broker does. The
/// sender sleeps in steps of the runtime's timer (about a millisecond here), so a message goes out up to a step or two
/// after it was due; latency is measured from when it went out, so that a broker's sub-millisecond figures stay visible,
/// and how late the sender was is kept apart, in <see cref="Lateness"/>. A send that waits for the broker's socket is
/// still counted, since the time is taken before it.
/// </summary>
public sealed class SendSchedule(long startTicks, double perSecond)
{
    private readonly LatencyRecorder lateness = new();

    /// <summary>How long after its due time each message went out.</summary>
    public LatencyRecorder Lateness => lateness;

    /// <summary>Waits until message <paramref name="k"/> is due; returns the <see cref="Stopwatch"/> time it goes out at.</summary>
    public async ValueTask<long> WaitAsync(long k, CancellationToken cancellationToken)
    {
        var due = startTicks + (long)(k * Stopwatch.Frequency / perSecond);
        var now = Stopwatch.GetTimestamp();
        while (now < due)
        {
            await Task.Delay(1, cancellationToken);
            now = Stopwatch.GetTimestamp();
        }

        lateness.Record(due, now);
        return now;
    }

    /// <summary>A note for the report: the sender's lateness, which the latency does not include.</summary>
    public string Note() => lateness.Summarize() is { } late
        ? $"sender late by p50 {late.P50Micros} us, p99 {late.P99Micros} us (not counted in the latency)"
        : "nothing sent";
}
