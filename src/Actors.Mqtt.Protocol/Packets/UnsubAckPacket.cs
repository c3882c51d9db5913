using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Packets;

/// <summary>UNSUBACK: in MQTT 5.0 one reason code per filter; before 5.0 only the packet id.</summary>
public sealed record UnsubAckPacket : MqttPacket
{
    public override PacketType Type => PacketType.UnsubAck;

    public ushort PacketId { get; init; }

    public IReadOnlyList<ReasonCode> ReasonCodes { get; init; } = [];

    public MqttProperties? Properties { get; init; }
}
