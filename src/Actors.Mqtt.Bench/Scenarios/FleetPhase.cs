namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>Which half of <see cref="PersistentFleetScenario"/> a run does; the broker restarts between the two.</summary>
public enum FleetPhase
{
    /// <summary>Create the sessions and queue one message for each.</summary>
    Create,

    /// <summary>Bring every device back at once and count its session and its message.</summary>
    Reconnect,
}
