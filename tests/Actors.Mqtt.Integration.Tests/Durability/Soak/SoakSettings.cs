using System.Globalization;

namespace Actors.Mqtt.Integration.Tests.Durability.Soak;

/// <summary>
/// How long and how hard the soak runs. The test suite runs the defaults with a new seed each time; <c>build.ps1 soak</c>
/// sets the environment variables for longer runs and a chosen seed.
/// </summary>
public sealed record SoakSettings(double Minutes, int Seed, double KillsPerMinute, int Rate, string? SummaryFile)
{
    public const string MinutesVariable = "ACTORS_MQTT_SOAK_MINUTES";
    public const string SeedVariable = "ACTORS_MQTT_SOAK_SEED";
    public const string KillsPerMinuteVariable = "ACTORS_MQTT_SOAK_KILLS_PER_MINUTE";
    public const string RateVariable = "ACTORS_MQTT_SOAK_RATE";
    public const string SummaryFileVariable = "ACTORS_MQTT_SOAK_SUMMARY";

    /// <summary>Publishing time; kills land in it.</summary>
    public TimeSpan Publishing => TimeSpan.FromMinutes(Minutes);

    /// <summary>At least one kill, however short the run.</summary>
    public int Kills => Math.Max(1, (int)Math.Round(Minutes * KillsPerMinute));

    /// <summary>The suite's run, on a machine of two cores shared with builds: one minute, three kills, 20 msg/s per
    /// publisher (the issue's 100 msg/s is for <c>build.ps1 soak -Rate 100</c>).</summary>
    public static SoakSettings FromEnvironment() => new(
        Read(MinutesVariable, 1.0, 0.1, 24 * 60.0, whole: false),
        (int)Read(SeedVariable, Random.Shared.Next(1, 1_000_000), 0, int.MaxValue, whole: true),
        Read(KillsPerMinuteVariable, 3.0, 0.1, 12.0, whole: false),
        (int)Read(RateVariable, 20, 1, 1000, whole: true),
        Environment.GetEnvironmentVariable(SummaryFileVariable) is { Length: > 0 } file ? file : null);

    private static double Read(string variable, double fallback, double min, double max, bool whole)
    {
        var text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < min || value > max
            || (whole && value != Math.Floor(value)))
        {
            throw new InvalidOperationException($"{variable}='{text}' is not {(whole ? "a whole number" : "a number")} from {min} to {max}");
        }

        return value;
    }
}
