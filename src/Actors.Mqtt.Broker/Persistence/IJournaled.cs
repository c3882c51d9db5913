namespace Actors.Mqtt.Broker.Persistence;

/// <summary>Marks what the broker writes to its journal and snapshot store, so that Akka serializes it with
/// <see cref="JournalSerializer"/> (bound in reference.conf) and nothing else.</summary>
public interface IJournaled;
