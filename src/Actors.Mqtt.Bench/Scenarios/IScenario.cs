namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>One load pattern. It ends by itself: its counts are bounded and it stops at the context's deadline.</summary>
public interface IScenario
{
    /// <summary>The name given to --scenario.</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>Runs once, filling <see cref="ScenarioContext.Outcome"/> as it goes so a run cut short still reports.</summary>
    Task RunAsync(ScenarioContext context);
}
