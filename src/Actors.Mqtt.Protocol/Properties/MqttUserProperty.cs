namespace Actors.Mqtt.Protocol.Properties;

/// <summary>A name/value pair an application attaches to a packet; order and repeats are kept.</summary>
public readonly record struct MqttUserProperty(string Name, string Value);
