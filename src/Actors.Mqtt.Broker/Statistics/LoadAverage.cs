namespace Actors.Mqtt.Broker.Statistics;

/// <summary>
/// A count's rate per minute averaged over the last 1, 5 and 15 minutes, exponentially weighted as a Unix load average
/// is (and as Mosquitto's <c>$SYS/broker/load/...</c> topics are): each sample moves the average by the share of its
/// window that passed since the one before. Plain C#, owned by one actor.
/// </summary>
public sealed class LoadAverage
{
    private static readonly double[] Windows = [60, 300, 900];

    private readonly double[] averages = new double[Windows.Length];
    private long? lastCount;

    /// <summary>The averages per minute over 1, 5 and 15 minutes.</summary>
    public IReadOnlyList<double> PerMinute => averages;

    /// <summary>Takes the running <paramref name="count"/>, <paramref name="elapsed"/> after the sample before.</summary>
    public void Sample(long count, TimeSpan elapsed)
    {
        // The first sample only sets where counting starts: a broker does not begin with its whole past in one step.
        if (lastCount is { } last && elapsed > TimeSpan.Zero)
        {
            var perMinute = (count - last) * 60 / elapsed.TotalSeconds;
            for (var i = 0; i < Windows.Length; i++)
            {
                var keep = Math.Exp(-elapsed.TotalSeconds / Windows[i]);
                averages[i] = averages[i] * keep + perMinute * (1 - keep);
            }
        }

        lastCount = count;
    }
}
