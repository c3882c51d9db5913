using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>PUBACK, PUBREC, PUBREL, PUBCOMP: a packet id; in 5.0 a reason code and properties, both omitted when Success and empty.</summary>
internal static class PublishResponseCodec
{
    public static bool TryDecode(ref MqttSpanReader r, PacketType type, MqttProtocolVersion version, out MqttPacket? packet)
    {
        packet = null;
        if (!r.TryReadPacketId(type, out var packetId))
        {
            return false;
        }

        if (!ReasonCodeTail.TryRead(ref r, type, ScopeOf(type), version, out var reason, out var properties))
        {
            return false;
        }

        packet = type switch
        {
            PacketType.PubAck => new PubAckPacket { PacketId = packetId, ReasonCode = reason, Properties = properties },
            PacketType.PubRec => new PubRecPacket { PacketId = packetId, ReasonCode = reason, Properties = properties },
            PacketType.PubRel => new PubRelPacket { PacketId = packetId, ReasonCode = reason, Properties = properties },
            _ => new PubCompPacket { PacketId = packetId, ReasonCode = reason, Properties = properties },
        };
        return true;
    }

    public static int GetBodySize(PublishResponsePacket p, MqttProtocolVersion version)
    {
        if (p.PacketId == 0)
        {
            throw new ArgumentException($"{p.Type} needs a non-zero packet identifier", nameof(p));
        }

        if (version != MqttProtocolVersion.V500)
        {
            return 2;
        }

        return 2 + ReasonCodeTail.GetSize(p.Type, p.ReasonCode, p.Properties, ScopeOf(p.Type));
    }

    public static void Write(ref MqttSpanWriter w, PublishResponsePacket p, int bodySize)
    {
        w.WriteUInt16(p.PacketId);
        ReasonCodeTail.Write(ref w, p.ReasonCode, p.Properties, ScopeOf(p.Type), bodySize - 2);
    }

    private static PropertyScope ScopeOf(PacketType type) => type switch
    {
        PacketType.PubAck => PropertyScope.PubAck,
        PacketType.PubRec => PropertyScope.PubRec,
        PacketType.PubRel => PropertyScope.PubRel,
        _ => PropertyScope.PubComp,
    };
}
