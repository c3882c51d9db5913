namespace Actors.Mqtt.Broker;

/// <summary>
/// The broker's monotonic clock in milliseconds, read from its <see cref="TimeProvider"/>: receipt times
/// (<see cref="Routing.RoutePublish.ReceivedAt"/>) and timeouts are counted in it, and compared across actors.
/// </summary>
internal static class BrokerTime
{
    public static long Milliseconds(this TimeProvider time) => time.Milliseconds(time.GetTimestamp());

    /// <summary>A timestamp of <paramref name="time"/> (<see cref="TimeProvider.GetTimestamp"/>) in milliseconds, for a
    /// caller that keeps the timestamp too.</summary>
    public static long Milliseconds(this TimeProvider time, long timestamp)
    {
        var frequency = time.TimestampFrequency;

        // Split so that a timestamp of nanoseconds since boot cannot overflow when scaled.
        return timestamp / frequency * 1000 + timestamp % frequency * 1000 / frequency;
    }
}
