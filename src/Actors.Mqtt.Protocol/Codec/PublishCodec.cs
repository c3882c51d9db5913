using System.Text.Unicode;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>PUBLISH, the hot path: no allocation but the packet itself (the topic from the cache, the payload a slice).</summary>
internal static class PublishCodec
{
    private const byte DupFlag = 0x08;
    private const byte RetainFlag = 0x01;

    public static bool TryDecode(ref MqttSpanReader r, byte flags, MqttProtocolVersion version, Utf8StringCache? topicCache, out MqttPacket? packet)
    {
        packet = null;
        var qos = (flags >> 1) & 0x03;
        if (qos == 3)
        {
            return r.Fail(ReasonCode.MalformedPacket, "PUBLISH QoS is 3", "MQTT-3.3.1-4");
        }

        var dup = (flags & DupFlag) != 0;
        if (dup && qos == 0)
        {
            return r.Fail(ReasonCode.MalformedPacket, "DUP is set on a QoS 0 PUBLISH", "MQTT-3.3.1-2");
        }

        if (!r.TryReadTopicName(out var topic, topicCache))
        {
            return false;
        }

        ushort packetId = 0;
        if (qos > 0)
        {
            if (!r.TryReadPacketId(PacketType.Publish, out packetId))
            {
                return false;
            }
        }

        MqttProperties? properties = null;
        if (version == MqttProtocolVersion.V500 && !PropertyCodec.TryRead(ref r, PropertyScope.Publish, out properties))
        {
            return false;
        }

        // The bytes were checked as they were read (well-formed, no U+0000, no wildcard, at most 65535 bytes); only
        // emptiness is left. MQTT 5.0: a zero-length topic name is how a sender uses a topic alias it set before.
        if (topic.Length == 0 && properties?.TopicAlias is null)
        {
            return version == MqttProtocolVersion.V500
                ? r.Fail(ReasonCode.ProtocolError, "topic name is empty and no topic alias stands for it")
                : r.Fail(ReasonCode.TopicNameInvalid, "topic name is empty", "MQTT-4.7.3-1");
        }

        var payload = r.ReadToEnd();
        if (properties?.PayloadFormatIndicator == PayloadFormat.Utf8 && !Utf8.IsValid(payload.Span))
        {
            return r.Fail(ReasonCode.PayloadFormatInvalid, "payload is marked UTF-8 but is not well-formed UTF-8");
        }

        packet = new PublishPacket
        {
            Topic = topic,
            Payload = payload,
            QoS = (QualityOfService)qos,
            Retain = (flags & RetainFlag) != 0,
            Dup = dup,
            PacketId = packetId,
            Properties = properties,
        };
        return true;
    }

    public static byte GetFlags(PublishPacket p)
    {
        if (p.QoS > QualityOfService.ExactlyOnce)
        {
            throw new ArgumentException("QoS must be 0, 1 or 2", nameof(p));
        }

        if (p.QoS != QualityOfService.AtMostOnce && p.PacketId == 0)
        {
            throw new ArgumentException("a QoS 1 or 2 PUBLISH needs a non-zero packet identifier", nameof(p));
        }

        return (byte)((p.Dup && p.QoS != QualityOfService.AtMostOnce ? DupFlag : 0) | ((int)p.QoS << 1) | (p.Retain ? RetainFlag : 0));
    }

    public static int GetBodySize(PublishPacket p, MqttProtocolVersion version)
    {
        if (p.Topic.Length == 0 && (version != MqttProtocolVersion.V500 || p.Properties?.TopicAlias is null))
        {
            throw new ArgumentException("an empty topic name needs an MQTT 5.0 topic alias; resolve the alias before writing down-level", nameof(p));
        }

        var size = MqttSizes.String(p.Topic) + (p.QoS == QualityOfService.AtMostOnce ? 0 : 2) + p.Payload.Length;
        if (version == MqttProtocolVersion.V500)
        {
            size += PropertyCodec.GetBlockSize(p.Properties, PropertyScope.Publish);
        }

        return size;
    }

    public static void Write(ref MqttSpanWriter w, PublishPacket p, MqttProtocolVersion version)
    {
        w.WriteString(p.Topic);
        if (p.QoS != QualityOfService.AtMostOnce)
        {
            w.WriteUInt16(p.PacketId);
        }

        if (version == MqttProtocolVersion.V500)
        {
            PropertyCodec.WriteBlock(ref w, p.Properties, PropertyScope.Publish);
        }

        w.WriteRaw(p.Payload.Span);
    }
}
