using Actors.Mqtt.Broker.Persistence;

namespace Actors.Mqtt.Broker.Routing;

/// <summary>What the retained store journals: replaying them in order rebuilds every topic's retained message.</summary>
public interface IRetainedEvent : IJournaled;

public sealed record RetainedSet(RoutePublish Message) : IRetainedEvent;

public sealed record RetainedCleared(string Topic) : IRetainedEvent;

/// <summary>Every retained message at one journal position.</summary>
public sealed record RetainedSnapshot(IReadOnlyList<RoutePublish> Messages) : IJournaled;
