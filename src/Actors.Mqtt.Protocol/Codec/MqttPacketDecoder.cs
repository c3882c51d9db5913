using System.Buffers;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>
/// Turns frames into packets for a given protocol version. Every fault in the input comes back as an
/// <see cref="MqttError"/> with the reason code the spec names; no input makes it throw.
/// </summary>
public static class MqttPacketDecoder
{
    /// <summary>Cuts the next frame from <paramref name="buffer"/> and decodes it (see <see cref="MqttFrameReader.TryRead"/>).</summary>
    public static OperationStatus TryRead(
        ref ReadOnlySequence<byte> buffer,
        MqttProtocolVersion version,
        int maximumPacketSize,
        out MqttPacket? packet,
        out MqttError error,
        Utf8StringCache? topicCache = null)
    {
        packet = null;
        var status = MqttFrameReader.TryRead(ref buffer, maximumPacketSize, out var frame, out error);
        if (status != OperationStatus.Done)
        {
            return status;
        }

        return TryDecode(frame, version, out packet, out error, topicCache) ? OperationStatus.Done : OperationStatus.InvalidData;
    }

    /// <summary>
    /// Decodes one frame. CONNECT carries its own version, so <paramref name="version"/> only matters for the
    /// other packets. Binary fields and the payload of the result are slices of the frame's memory when it is
    /// one segment (copied once when it is not), so that memory must outlive the packet.
    /// </summary>
    /// <param name="topicCache">Optional per-connection cache that spares a string allocation per PUBLISH topic.</param>
    public static bool TryDecode(in MqttFrame frame, MqttProtocolVersion version, out MqttPacket? packet, out MqttError error, Utf8StringCache? topicCache = null)
    {
        var body = frame.Body.IsSingleSegment ? frame.Body.First : frame.Body.ToArray();
        var reader = new MqttSpanReader(body);
        packet = null;
        var ok = TryCheckFlags(ref reader, frame.Type, frame.Flags, version) && frame.Type switch
        {
            PacketType.Connect => ConnectCodec.TryDecode(ref reader, out packet),
            PacketType.ConnAck => ConnAckCodec.TryDecode(ref reader, version, out packet),
            PacketType.Publish => PublishCodec.TryDecode(ref reader, frame.Flags, version, topicCache, out packet),
            PacketType.PubAck or PacketType.PubRec or PacketType.PubRel or PacketType.PubComp =>
                PublishResponseCodec.TryDecode(ref reader, frame.Type, version, out packet),
            PacketType.Subscribe or PacketType.Unsubscribe => SubscribeCodec.TryDecode(ref reader, frame.Type, version, out packet),
            PacketType.SubAck or PacketType.UnsubAck => SubAckCodec.TryDecode(ref reader, frame.Type, version, out packet),
            PacketType.PingReq => TryDecodeEmpty(ref reader, PingReqPacket.Instance, out packet),
            PacketType.PingResp => TryDecodeEmpty(ref reader, PingRespPacket.Instance, out packet),
            PacketType.Disconnect or PacketType.Auth => ReasonOnlyCodec.TryDecode(ref reader, frame.Type, version, out packet),
            _ => reader.Fail(ReasonCode.MalformedPacket, "packet type 0 is reserved"),
        };
        error = ok ? default : reader.Error;
        return ok;
    }

    private static bool TryCheckFlags(ref MqttSpanReader r, PacketType type, byte flags, MqttProtocolVersion version)
    {
        if (type == PacketType.Auth && version != MqttProtocolVersion.V500)
        {
            return r.Fail(ReasonCode.MalformedPacket, "packet type 15 is reserved before MQTT 5.0", "MQTT-2.1.3-1");
        }

        var expected = type switch
        {
            PacketType.Publish => flags,
            PacketType.PubRel or PacketType.Subscribe or PacketType.Unsubscribe => (byte)0x02,
            _ => (byte)0x00,
        };

        // MQTT 3.1 sent these three with QoS 1 semantics, so clients of that era may set DUP on a retry.
        if (version == MqttProtocolVersion.V310 && expected == 0x02 && flags == 0x0A)
        {
            return true;
        }

        return flags == expected || r.Fail(ReasonCode.MalformedPacket, $"reserved flags of {type} are 0x{flags:X}, must be 0x{expected:X}", "MQTT-2.1.3-1");
    }

    private static bool TryDecodeEmpty(ref MqttSpanReader r, MqttPacket instance, out MqttPacket? packet)
    {
        packet = r.End ? instance : null;
        return r.End || r.Fail(ReasonCode.MalformedPacket, $"{instance.Type} must have no body");
    }
}
