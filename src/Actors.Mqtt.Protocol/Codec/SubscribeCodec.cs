using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Topics;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>SUBSCRIBE and UNSUBSCRIBE: a packet id, 5.0 properties, then at least one topic filter (with options for SUBSCRIBE).</summary>
internal static class SubscribeCodec
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
        if (v5 && !PropertyCodec.TryRead(ref r, type == PacketType.Subscribe ? PropertyScope.Subscribe : PropertyScope.Unsubscribe, out properties))
        {
            return false;
        }

        if (r.End)
        {
            return type == PacketType.Subscribe
                ? r.Fail(ReasonCode.ProtocolError, "SUBSCRIBE has no topic filter", "MQTT-3.8.3-2")
                : r.Fail(ReasonCode.ProtocolError, "UNSUBSCRIBE has no topic filter", "MQTT-3.10.3-2");
        }

        if (type == PacketType.Unsubscribe)
        {
            var filters = new List<string>(Math.Max(1, r.Remaining / 8));
            while (!r.End)
            {
                if (!r.TryReadString(out var text) || !TryCheckFilter(ref r, text, v5, out _))
                {
                    return false;
                }

                filters.Add(text);
            }

            packet = new UnsubscribePacket { PacketId = packetId, TopicFilters = filters, Properties = properties };
            return true;
        }

        var subscriptions = new List<MqttSubscription>(Math.Max(1, r.Remaining / 8));
        while (!r.End)
        {
            if (!r.TryReadString(out var text) || !r.TryReadByte(out var options) || !TryReadOptions(ref r, text, options, v5, out var subscription))
            {
                return false;
            }

            subscriptions.Add(subscription!);
        }

        packet = new SubscribePacket { PacketId = packetId, Subscriptions = subscriptions, Properties = properties };
        return true;
    }

    public static int GetBodySize(SubscribePacket p, MqttProtocolVersion version)
    {
        RequireFilters(p.PacketId, p.Subscriptions.Count, p.Type);
        var size = 2;
        if (version == MqttProtocolVersion.V500)
        {
            size += PropertyCodec.GetBlockSize(p.Properties, PropertyScope.Subscribe);
        }

        for (var i = 0; i < p.Subscriptions.Count; i++)
        {
            size += MqttSizes.String(p.Subscriptions[i].TopicFilter) + 1;
        }

        return size;
    }

    public static int GetBodySize(UnsubscribePacket p, MqttProtocolVersion version)
    {
        RequireFilters(p.PacketId, p.TopicFilters.Count, p.Type);
        var size = 2;
        if (version == MqttProtocolVersion.V500)
        {
            size += PropertyCodec.GetBlockSize(p.Properties, PropertyScope.Unsubscribe);
        }

        foreach (var filter in p.TopicFilters)
        {
            size += MqttSizes.String(filter);
        }

        return size;
    }

    public static void Write(ref MqttSpanWriter w, SubscribePacket p, MqttProtocolVersion version)
    {
        w.WriteUInt16(p.PacketId);
        var v5 = version == MqttProtocolVersion.V500;
        if (v5)
        {
            PropertyCodec.WriteBlock(ref w, p.Properties, PropertyScope.Subscribe);
        }

        for (var i = 0; i < p.Subscriptions.Count; i++)
        {
            var s = p.Subscriptions[i];
            w.WriteString(s.TopicFilter);
            var options = (int)s.MaximumQoS;
            if (v5)
            {
                options |= (s.NoLocal ? 0x04 : 0) | (s.RetainAsPublished ? 0x08 : 0) | ((int)s.RetainHandling << 4);
            }

            w.WriteByte((byte)options);
        }
    }

    public static void Write(ref MqttSpanWriter w, UnsubscribePacket p, MqttProtocolVersion version)
    {
        w.WriteUInt16(p.PacketId);
        if (version == MqttProtocolVersion.V500)
        {
            PropertyCodec.WriteBlock(ref w, p.Properties, PropertyScope.Unsubscribe);
        }

        foreach (var filter in p.TopicFilters)
        {
            w.WriteString(filter);
        }
    }

    private static bool TryReadOptions(ref MqttSpanReader r, string text, byte options, bool v5, out MqttSubscription? subscription)
    {
        subscription = null;
        var reservedMask = v5 ? 0xC0 : 0xFC;
        if ((options & reservedMask) != 0)
        {
            return r.Fail(ReasonCode.MalformedPacket, "reserved subscription option bits are set", v5 ? "MQTT-3.8.3-5" : "MQTT-3-8.3-4 (3.1.1)");
        }

        var qos = options & 0x03;
        if (qos == 3)
        {
            return v5
                ? r.Fail(ReasonCode.ProtocolError, "subscription maximum QoS is 3")
                : r.Fail(ReasonCode.MalformedPacket, "subscription QoS is 3", "MQTT-3-8.3-4 (3.1.1)");
        }

        var retainHandling = (options >> 4) & 0x03;
        if (retainHandling == 3)
        {
            return r.Fail(ReasonCode.ProtocolError, "retain handling is 3");
        }

        if (!TryCheckFilter(ref r, text, v5, out var filter))
        {
            return false;
        }

        var noLocal = (options & 0x04) != 0;
        if (noLocal && filter.IsShared)
        {
            return r.Fail(ReasonCode.ProtocolError, "no local is set on a shared subscription", "MQTT-3.8.3-4");
        }

        subscription = new MqttSubscription(text)
        {
            MaximumQoS = (QualityOfService)qos,
            NoLocal = noLocal,
            RetainAsPublished = (options & 0x08) != 0,
            RetainHandling = (RetainHandling)retainHandling,
        };
        return true;
    }

    private static bool TryCheckFilter(ref MqttSpanReader r, string text, bool v5, out TopicFilter filter)
    {
        if (!TopicFilter.TryParse(text, allowShared: v5, out filter, out var error))
        {
            return r.Fail(error.ReasonCode, error.Message, error.SpecId);
        }

        return true;
    }

    private static void RequireFilters(ushort packetId, int count, PacketType type)
    {
        if (packetId == 0)
        {
            throw new ArgumentException($"{type} needs a non-zero packet identifier", nameof(packetId));
        }

        if (count == 0)
        {
            throw new ArgumentException($"{type} needs at least one topic filter", nameof(count));
        }
    }
}
