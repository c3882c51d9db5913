using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>SUBACK and UNSUBACK: a packet id, 5.0 properties, and one reason code per filter (UNSUBACK: 5.0 only).</summary>
internal static class SubAckCodec
{
    public static bool TryDecode(ref MqttSpanReader r, PacketType type, MqttProtocolVersion version, out MqttPacket? packet)
    {
        packet = null;
        if (!r.TryReadPacketId(type, out var packetId))
        {
            return false;
        }

        var v5 = version == MqttProtocolVersion.V500;
        MqttProperties? properties = null;
        if (v5 && !PropertyCodec.TryRead(ref r, ScopeOf(type), out properties))
        {
            return false;
        }

        var codes = new List<ReasonCode>(r.Remaining);
        while (!r.End)
        {
            r.TryReadByte(out var code);
            var reason = (ReasonCode)code;
            var valid = v5
                ? ReasonCodes.IsValidFor(type, reason)
                : type == PacketType.SubAck && (code <= 2 || code == 0x80);
            if (!valid)
            {
                return r.Fail(v5 ? ReasonCode.ProtocolError : ReasonCode.MalformedPacket, $"0x{code:X2} is not a {type} reason code", ReasonCodes.SpecIdFor(type));
            }

            codes.Add(reason);
        }

        var needsCodes = type == PacketType.SubAck || v5;
        if (needsCodes && codes.Count == 0)
        {
            return r.Fail(ReasonCode.ProtocolError, $"{type} has no reason code");
        }

        packet = type == PacketType.SubAck
            ? new SubAckPacket { PacketId = packetId, ReasonCodes = codes, Properties = properties }
            : new UnsubAckPacket { PacketId = packetId, ReasonCodes = codes, Properties = properties };
        return true;
    }

    public static int GetBodySize(PacketType type, ushort packetId, IReadOnlyList<ReasonCode> codes, MqttProperties? properties, MqttProtocolVersion version)
    {
        if (packetId == 0)
        {
            throw new ArgumentException($"{type} needs a non-zero packet identifier", nameof(packetId));
        }

        if (version != MqttProtocolVersion.V500)
        {
            return type == PacketType.SubAck ? 2 + codes.Count : 2;
        }

        foreach (var code in codes)
        {
            if (!ReasonCodes.IsValidFor(type, code))
            {
                throw new ArgumentException($"{code} is not a {type} reason code", nameof(codes));
            }
        }

        return 2 + PropertyCodec.GetBlockSize(properties, ScopeOf(type)) + codes.Count;
    }

    public static void Write(ref MqttSpanWriter w, PacketType type, ushort packetId, IReadOnlyList<ReasonCode> codes, MqttProperties? properties, MqttProtocolVersion version)
    {
        w.WriteUInt16(packetId);
        if (version == MqttProtocolVersion.V500)
        {
            PropertyCodec.WriteBlock(ref w, properties, ScopeOf(type));
        }
        else if (type == PacketType.UnsubAck)
        {
            return;
        }

        foreach (var code in codes)
        {
            w.WriteByte(version == MqttProtocolVersion.V500 ? (byte)code : ToV3SubAckCode(code));
        }
    }

    /// <summary>3.1.1 knows granted QoS 0-2 and 0x80 Failure; every 5.0 failure becomes 0x80.</summary>
    private static byte ToV3SubAckCode(ReasonCode code) => (byte)code <= 2 ? (byte)code : (byte)0x80;

    private static PropertyScope ScopeOf(PacketType type) =>
        type == PacketType.SubAck ? PropertyScope.SubAck : PropertyScope.UnsubAck;
}
