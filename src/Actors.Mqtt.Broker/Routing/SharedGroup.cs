namespace Actors.Mqtt.Broker.Routing;

/// <summary>A shared subscription group (MQTT 5.0 section 4.8.2): its share name and the filter after it.</summary>
public sealed record SharedGroup(string ShareName, string Filter);
