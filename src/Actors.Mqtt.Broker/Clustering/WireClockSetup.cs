using Akka.Actor.Setup;

namespace Actors.Mqtt.Broker.Clustering;

/// <summary>
/// The clock <see cref="WireSerializer"/> measures a message's age with (a receipt time goes from node to node as an
/// age), given to the actor system with <c>ActorSystemSetup.And</c>: Akka makes the serializer from the actor
/// system alone, which does not know <see cref="BrokerSettings.Time"/>. Without it the serializer reads the system
/// clock, the broker's default.
/// </summary>
public sealed class WireClockSetup(TimeProvider time) : Setup
{
    public TimeProvider Time { get; } = time;
}
