using Akka.Actor;

namespace Actors.Mqtt.Broker.Sessions;

/// <summary>Where a session writes its row of the session index (docs/architecture.md, "Sleeping sessions").</summary>
/// <param name="Writer">The node's <see cref="Persistence.SessionIndexActor"/>.</param>
/// <param name="Node">This node as the index names it (host:port), for the rows of sessions a connection holds.</param>
public sealed record SessionIndexing(IActorRef Writer, string Node);
