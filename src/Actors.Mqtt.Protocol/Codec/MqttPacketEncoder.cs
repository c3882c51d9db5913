using System.Buffers;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>
/// Writes packets for a given protocol version, leaving out what the version does not have (properties and
/// reason codes before 5.0). A packet that cannot be written at all (AUTH before 5.0, a QoS 1 PUBLISH without
/// a packet id, a property in the wrong packet) is a bug of the caller and throws <see cref="ArgumentException"/>.
/// </summary>
public static class MqttPacketEncoder
{
    /// <summary>Bytes the packet takes on the wire, fixed header included (to check a peer's Maximum Packet Size).</summary>
    public static int GetSize(MqttPacket packet, MqttProtocolVersion version)
    {
        var body = GetBodySize(packet, version);
        return 1 + VariableByteInteger.GetSize(body) + body;
    }

    /// <summary>Writes one packet into <paramref name="writer"/> with a single GetSpan/Advance; returns the bytes written.</summary>
    public static int Encode(MqttPacket packet, MqttProtocolVersion version, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(packet);
        ArgumentNullException.ThrowIfNull(writer);
        var body = GetBodySize(packet, version);
        var total = 1 + VariableByteInteger.GetSize(body) + body;
        var w = new MqttSpanWriter(writer.GetSpan(total));
        w.WriteByte((byte)(((int)packet.Type << 4) | GetFlags(packet)));
        w.WriteVariableByteInteger(body);
        WriteBody(ref w, packet, version, body);
        if (w.Written != total)
        {
            throw new InvalidOperationException($"{packet.Type} wrote {w.Written} bytes, expected {total}");
        }

        writer.Advance(total);
        return total;
    }

    private static byte GetFlags(MqttPacket packet) => packet switch
    {
        PublishPacket p => PublishCodec.GetFlags(p),
        PubRelPacket or SubscribePacket or UnsubscribePacket => 0x02,
        _ => 0x00,
    };

    private static int GetBodySize(MqttPacket packet, MqttProtocolVersion version)
    {
        ArgumentNullException.ThrowIfNull(packet);
        var size = packet switch
        {
            ConnectPacket p => ConnectCodec.GetBodySize(p),
            ConnAckPacket p => ConnAckCodec.GetBodySize(p, version),
            PublishPacket p => PublishCodec.GetBodySize(p, version),
            PublishResponsePacket p => PublishResponseCodec.GetBodySize(p, version),
            SubscribePacket p => SubscribeCodec.GetBodySize(p, version),
            UnsubscribePacket p => SubscribeCodec.GetBodySize(p, version),
            SubAckPacket p => SubAckCodec.GetBodySize(p.Type, p.PacketId, p.ReasonCodes, p.Properties, version),
            UnsubAckPacket p => SubAckCodec.GetBodySize(p.Type, p.PacketId, p.ReasonCodes, p.Properties, version),
            PingReqPacket or PingRespPacket => 0,
            DisconnectPacket p => ReasonOnlyCodec.GetBodySize(p.Type, p.ReasonCode, p.Properties, version),
            AuthPacket p => ReasonOnlyCodec.GetBodySize(p.Type, p.ReasonCode, p.Properties, version),
            _ => throw new ArgumentException($"unknown packet {packet.GetType().Name}", nameof(packet)),
        };
        return size <= VariableByteInteger.MaxValue
            ? size
            : throw new ArgumentException($"{packet.Type} of {size} bytes exceeds the largest remaining length", nameof(packet));
    }

    private static void WriteBody(ref MqttSpanWriter w, MqttPacket packet, MqttProtocolVersion version, int bodySize)
    {
        switch (packet)
        {
            case ConnectPacket p: ConnectCodec.Write(ref w, p); break;
            case ConnAckPacket p: ConnAckCodec.Write(ref w, p, version); break;
            case PublishPacket p: PublishCodec.Write(ref w, p, version); break;
            case PublishResponsePacket p: PublishResponseCodec.Write(ref w, p, bodySize); break;
            case SubscribePacket p: SubscribeCodec.Write(ref w, p, version); break;
            case UnsubscribePacket p: SubscribeCodec.Write(ref w, p, version); break;
            case SubAckPacket p: SubAckCodec.Write(ref w, p.Type, p.PacketId, p.ReasonCodes, p.Properties, version); break;
            case UnsubAckPacket p: SubAckCodec.Write(ref w, p.Type, p.PacketId, p.ReasonCodes, p.Properties, version); break;
            case DisconnectPacket p: ReasonOnlyCodec.Write(ref w, p.Type, p.ReasonCode, p.Properties, bodySize); break;
            case AuthPacket p: ReasonOnlyCodec.Write(ref w, p.Type, p.ReasonCode, p.Properties, bodySize); break;
            default: break;
        }
    }
}
