using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Packets;

/// <summary>
/// SUBACK: one reason code per filter, in order. 3.1.1 knows only granted QoS 0-2 and 0x80 failure, so any
/// other failure code is written as 0x80 there; 3.1 knows only the granted QoS.
/// </summary>
public sealed record SubAckPacket : MqttPacket
{
    public override PacketType Type => PacketType.SubAck;

    public ushort PacketId { get; init; }

    public IReadOnlyList<ReasonCode> ReasonCodes { get; init; } = [];

    public MqttProperties? Properties { get; init; }
}
