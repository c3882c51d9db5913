using System.Diagnostics;

namespace Actors.Mqtt.Bench.Clients;

/// <summary>Waiting for a scenario's end: every message arrived, or nothing moved for a while, or the deadline.</summary>
public static class Completion
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);

    /// <summary>True once <paramref name="done"/> holds; false when <paramref name="progress"/> stood still for <paramref name="idle"/> or the token fired.</summary>
    public static async Task<bool> WaitAsync(Func<bool> done, Func<long> progress, TimeSpan idle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(done);
        ArgumentNullException.ThrowIfNull(progress);
        var last = progress();
        var lastMoved = Stopwatch.GetTimestamp();
        while (!done())
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return false;
            }

            var now = progress();
            if (now != last)
            {
                last = now;
                lastMoved = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(lastMoved) > idle)
            {
                return false;
            }

            try
            {
                await Task.Delay(Poll, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        return true;
    }
}
