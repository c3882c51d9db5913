using System.Diagnostics;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>Checks every scenario makes on its clients before it reports.</summary>
internal static class Checks
{
    /// <summary>A connection the broker ended before the scenario closed it is an error.</summary>
    public static void Closed(ScenarioContext context, string? closeReason, string who)
    {
        if (closeReason is not null)
        {
            context.Fail($"{who}: {closeReason}");
        }
    }

    /// <summary>A message no publisher of this run sent means the counting is wrong, or the broker is.</summary>
    public static void Foreign(ScenarioContext context, long foreign)
    {
        if (foreign > 0)
        {
            context.Fail($"{foreign} message(s) received that no publisher of this run sent");
        }
    }

    /// <summary>Seconds between two <see cref="Stopwatch"/> timestamps; 0 when nothing was received.</summary>
    public static double Seconds(long start, long last) =>
        last > start ? Stopwatch.GetElapsedTime(start, last).TotalSeconds : 0;
}
