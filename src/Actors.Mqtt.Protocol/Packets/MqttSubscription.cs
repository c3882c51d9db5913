namespace Actors.Mqtt.Protocol.Packets;

/// <summary>One topic filter of a SUBSCRIBE with its options (all but the QoS are MQTT 5.0 only).</summary>
public sealed record MqttSubscription(string TopicFilter)
{
    public QualityOfService MaximumQoS { get; init; }

    public bool NoLocal { get; init; }

    public bool RetainAsPublished { get; init; }

    public RetainHandling RetainHandling { get; init; }
}
