namespace Actors.Mqtt.Broker.Clustering;

/// <summary>Marks what one node of the broker may send to another, so that Akka serializes it with
/// <see cref="WireSerializer"/> (bound in reference.conf) and never falls back to JSON of CLR types.</summary>
public interface IWireMessage;
