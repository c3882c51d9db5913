using Actors.Mqtt.Bench.Measurement;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>What a scenario gets from the runner: settings, its deadline, names unique to this run, a place for errors.</summary>
public sealed class ScenarioContext(BenchSettings settings, string runId, ScenarioMeter meter, CancellationToken deadline)
{
    private readonly List<string> errors = [];

    public BenchSettings Settings { get; } = settings;

    /// <summary>Fires at the scenario's time limit.</summary>
    public CancellationToken Deadline { get; } = deadline;

    public ScenarioMeter Meter { get; } = meter;

    public ScenarioOutcome Outcome { get; } = new();

    /// <summary>One short line about progress, polled by the progress display.</summary>
    public Func<string> Status { get; set; } = () => "starting";

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (errors)
            {
                return [.. errors];
            }
        }
    }

    public void Fail(string error)
    {
        lock (errors)
        {
            errors.Add(error);
        }
    }

    /// <summary>A client id no other run shares (short: MQTT 3.1.1 servers need only accept 23 characters).</summary>
    public string ClientId(string role) => $"b{runId}{role}";

    /// <summary>A first topic level no other run shares: <paramref name="stem"/>, the run's id and <paramref name="number"/>.</summary>
    public string FirstLevel(string stem, long number) => $"{stem}-{runId}-{number}";

    /// <summary>A topic prefix no other run shares, so leftovers of an earlier run never count.</summary>
    public string Topic(string scenario) => $"bench/{runId}/{scenario}";
}
