using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Packets;

/// <summary>
/// SUBACK: one reason code per filter, in order. 3.1.1 knows only granted QoS 0-2 and 0x80 failure, so any
/// other failure code is written as 0x80 there. 3.1 defines no failure code; it gets the same 0x80, which
/// tells a 3.1 client more than a silently dropped subscription would.
/// </summary>
public sealed record SubAckPacket : MqttPacket
{
    public override PacketType Type => PacketType.SubAck;

    public ushort PacketId { get; init; }

    public IReadOnlyList<ReasonCode> ReasonCodes { get; init; } = [];

    public MqttProperties? Properties { get; init; }
}
