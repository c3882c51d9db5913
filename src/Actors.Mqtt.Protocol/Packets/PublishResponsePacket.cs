using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Packets;

/// <summary>
/// PUBACK, PUBREC, PUBREL and PUBCOMP share one layout: a packet id, and in MQTT 5.0 a reason code and
/// properties that are left off the wire when they are Success and empty.
/// </summary>
public abstract record PublishResponsePacket : MqttPacket
{
    public ushort PacketId { get; init; }

    public ReasonCode ReasonCode { get; init; } = ReasonCode.Success;

    public MqttProperties? Properties { get; init; }
}

/// <summary>PUBACK: the answer to a QoS 1 PUBLISH.</summary>
public sealed record PubAckPacket : PublishResponsePacket
{
    public override PacketType Type => PacketType.PubAck;
}

/// <summary>PUBREC: the first answer to a QoS 2 PUBLISH.</summary>
public sealed record PubRecPacket : PublishResponsePacket
{
    public override PacketType Type => PacketType.PubRec;
}

/// <summary>PUBREL: the publisher's answer to PUBREC, releasing the message.</summary>
public sealed record PubRelPacket : PublishResponsePacket
{
    public override PacketType Type => PacketType.PubRel;
}

/// <summary>PUBCOMP: the last packet of the QoS 2 exchange.</summary>
public sealed record PubCompPacket : PublishResponsePacket
{
    public override PacketType Type => PacketType.PubComp;
}
