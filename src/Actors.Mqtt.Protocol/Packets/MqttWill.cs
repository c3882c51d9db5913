using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Packets;

/// <summary>The last will a CONNECT carries: published by the server when the connection ends without DISCONNECT.</summary>
/// <remarks>The payload is a slice of the received packet; copy it before the receive buffer is reused.</remarks>
public sealed record MqttWill(string Topic, ReadOnlyMemory<byte> Payload)
{
    public QualityOfService QoS { get; init; }

    public bool Retain { get; init; }

    /// <summary>MQTT 5.0 will properties (will delay, message expiry, content type, ...); null when none.</summary>
    public MqttProperties? Properties { get; init; }
}
