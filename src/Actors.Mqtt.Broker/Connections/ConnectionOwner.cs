using Akka.Actor;
using Akka.Streams;

namespace Actors.Mqtt.Broker.Connections;

/// <summary>
/// The connection actor a materialization of the shared connection flow belongs to. The flow's stages are built once
/// for the whole broker and find their actor in this attribute, because every stage instance keeps its blueprint
/// (ports, module, attributes) alive for as long as any of its materializations runs: built per connection, those
/// blueprints were kilobytes of every idle connection.
/// </summary>
public sealed record ConnectionOwner(IActorRef Actor) : Attributes.IAttribute
{
    public static IActorRef Of(Attributes attributes) =>
        attributes.GetAttribute<ConnectionOwner>(null!)?.Actor
        ?? throw new InvalidOperationException("the connection flow was materialized without a ConnectionOwner attribute");
}
