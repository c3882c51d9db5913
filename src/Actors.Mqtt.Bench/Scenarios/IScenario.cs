namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>One load pattern. It ends by itself: its counts are bounded and it stops at the context's deadline.</summary>
public interface IScenario
{
    /// <summary>The name given to --scenario.</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>How long it may run: the <c>--time-limit</c>, plus the time its load is meant to last when that is fixed.</summary>
    TimeSpan TimeLimit(BenchSettings settings) => settings.TimeLimit;

    /// <summary>Runs once, filling <see cref="ScenarioContext.Outcome"/> as it goes so a run cut short still reports.</summary>
    Task RunAsync(ScenarioContext context);
}
