using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Packets;

/// <summary>
/// PUBLISH. The payload is a slice of the buffer the packet was decoded from, not a copy: the owner of that
/// buffer must keep it alive (and unchanged) as long as the packet is used.
/// </summary>
public sealed record PublishPacket : MqttPacket
{
    public override PacketType Type => PacketType.Publish;

    /// <summary>Empty only in MQTT 5.0 when a topic alias stands in for it.</summary>
    public string Topic { get; init; } = string.Empty;

    public ReadOnlyMemory<byte> Payload { get; init; }

    public QualityOfService QoS { get; init; }

    public bool Retain { get; init; }

    /// <summary>Set on a redelivery of a QoS 1 or 2 message; always false for QoS 0.</summary>
    public bool Dup { get; init; }

    /// <summary>Non-zero for QoS 1 and 2; 0 for QoS 0, which has none.</summary>
    public ushort PacketId { get; init; }

    public MqttProperties? Properties { get; init; }
}
