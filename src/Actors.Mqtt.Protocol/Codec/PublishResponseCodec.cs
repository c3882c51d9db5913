using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>PUBACK, PUBREC, PUBREL, PUBCOMP: a packet id; in 5.0 a reason code and properties, both omitted when Success and empty.</summary>
internal static class PublishResponseCodec
{
    public static bool TryDecode(ref MqttSpanReader r, PacketType type, MqttProtocolVersion version, out MqttPacket? packet)
    {
        packet = null;
        if (!r.TryReadUInt16(out var packetId))
        {
            return false;
        }

        if (packetId == 0)
        {
            return r.Fail(ReasonCode.ProtocolError, $"{type} has packet identifier 0", "MQTT-2.2.1-3");
        }

        var reason = ReasonCode.Success;
        MqttProperties? properties = null;
        if (version == MqttProtocolVersion.V500 && !r.End)
        {
            if (!r.TryReadByte(out var code))
            {
                return false;
            }

            reason = (ReasonCode)code;
            if (!ReasonCodes.IsValidFor(type, reason))
            {
                return r.Fail(ReasonCode.ProtocolError, $"0x{code:X2} is not a {type} reason code", ReasonCodes.SpecIdFor(type));
            }

            if (!r.End && !PropertyCodec.TryRead(ref r, ScopeOf(type), out properties))
            {
                return false;
            }
        }

        if (!r.End)
        {
            return r.Fail(ReasonCode.MalformedPacket, $"{type} is longer than its content");
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

        if (!ReasonCodes.IsValidFor(p.Type, p.ReasonCode))
        {
            throw new ArgumentException($"{p.ReasonCode} is not a {p.Type} reason code", nameof(p));
        }

        var propertiesSize = PropertyCodec.GetBlockSize(p.Properties, ScopeOf(p.Type));

        // The spec lets a sender drop a Success reason code with no properties, and a zero property length.
        return propertiesSize > 1 ? 3 + propertiesSize : p.ReasonCode == ReasonCode.Success ? 2 : 3;
    }

    public static void Write(ref MqttSpanWriter w, PublishResponsePacket p, int bodySize)
    {
        w.WriteUInt16(p.PacketId);
        if (bodySize > 2)
        {
            w.WriteByte((byte)p.ReasonCode);
        }

        if (bodySize > 3)
        {
            PropertyCodec.WriteBlock(ref w, p.Properties, ScopeOf(p.Type));
        }
    }

    private static PropertyScope ScopeOf(PacketType type) => type switch
    {
        PacketType.PubAck => PropertyScope.PubAck,
        PacketType.PubRec => PropertyScope.PubRec,
        PacketType.PubRel => PropertyScope.PubRel,
        _ => PropertyScope.PubComp,
    };
}
