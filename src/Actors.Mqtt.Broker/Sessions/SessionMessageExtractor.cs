using Akka.Cluster.Sharding;

namespace Actors.Mqtt.Broker.Sessions;

/// <summary>Routes <see cref="SessionEnvelope"/>s to the session entity named by the client id.</summary>
public sealed class SessionMessageExtractor(int maxShards) : HashCodeMessageExtractor(maxShards)
{
    public override string EntityId(object message) => message is SessionEnvelope envelope ? envelope.ClientId : null!;

    public override object EntityMessage(object message) => message is SessionEnvelope envelope ? envelope.Message : message;
}
