using System.Buffers;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Topics;

namespace Actors.Mqtt.Broker.Persistence;

/// <summary>
/// The journal form of the records events carry. An application message is kept as an MQTT 5 PUBLISH packet: the
/// protocol codec already writes every property compactly, and the spec fixes that format for good.
/// </summary>
internal static class JournalFormats
{
    public static void WritePublish(WireWriter w, RoutePublish publish)
    {
        w.Bytes(1, EncodePacket(publish.Message));
        w.String(2, publish.PublisherClientId);
        w.Int(3, ToUnixMilliseconds(publish.ReceivedAt));
        w.Int(4, publish.MessageKey);
    }

    public static RoutePublish ReadPublish(ReadOnlySpan<byte> data)
    {
        var r = new WireReader(data);
        PublishPacket? packet = null;
        string? publisher = null;
        long receivedAt = 0;
        long key = 0;
        while (r.Next(out var field))
        {
            switch (field)
            {
                case 1: packet = DecodePacket(r.Bytes()); break;
                case 2: publisher = r.String(); break;
                case 3: receivedAt = r.Int(); break;
                case 4: key = r.Int(); break;
                default: r.Skip(); break;
            }
        }

        return new RoutePublish(packet ?? throw new FormatException("a journaled message has no PUBLISH"), publisher, FromUnixMilliseconds(receivedAt))
        {
            MessageKey = key,
        };
    }

    public static void WriteQueued(WireWriter w, QueuedMessage message)
    {
        w.Message(1, n => WritePublish(n, message.Publish));
        w.String(2, message.Delivery.ClientId);
        w.UInt(3, (ulong)message.Delivery.MaximumQoS);
        w.Bool(4, message.Delivery.RetainAsPublished);
        foreach (var id in message.Delivery.SubscriptionIdentifiers)
        {
            w.UInt(5, (ulong)id);
        }

        w.Bool(6, message.Retain);
    }

    public static QueuedMessage ReadQueued(ReadOnlySpan<byte> data)
    {
        var r = new WireReader(data);
        RoutePublish? publish = null;
        var clientId = string.Empty;
        var qos = QualityOfService.AtMostOnce;
        var retainAsPublished = false;
        List<int>? ids = null;
        var retain = false;
        while (r.Next(out var field))
        {
            switch (field)
            {
                case 1: publish = ReadPublish(r.Bytes()); break;
                case 2: clientId = r.String(); break;
                case 3: qos = (QualityOfService)r.UInt(); break;
                case 4: retainAsPublished = r.Bool(); break;
                case 5: (ids ??= []).Add(checked((int)r.UInt())); break;
                case 6: retain = r.Bool(); break;
                default: r.Skip(); break;
            }
        }

        return new QueuedMessage(
            publish ?? throw new FormatException("a journaled queued message has no PUBLISH"),
            new Delivery(clientId, qos, retainAsPublished, (IReadOnlyList<int>?)ids ?? []),
            retain);
    }

    public static void WriteSubscription(WireWriter w, Subscription s)
    {
        w.String(1, s.ClientId);
        w.String(2, s.FilterText);
        w.UInt(3, (ulong)s.MaximumQoS);
        w.Bool(4, s.NoLocal);
        w.Bool(5, s.RetainAsPublished);
        w.UInt(6, (ulong)s.RetainHandling);
        w.UInt(7, (ulong)(s.SubscriptionIdentifier ?? 0));

        // Field 2 alone cannot tell an MQTT 3.1.1 filter that starts with $share/ (literal there) from a shared one.
        w.Bool(8, !s.Filter.IsShared);
    }

    public static Subscription ReadSubscription(ReadOnlySpan<byte> data)
    {
        var r = new WireReader(data);
        var clientId = string.Empty;
        var text = string.Empty;
        var qos = QualityOfService.AtMostOnce;
        bool noLocal = false, retainAsPublished = false;
        var handling = RetainHandling.SendAtSubscribe;
        var identifier = 0;

        // Entries written before field 8 existed read $share/ as MQTT 5 does: those of 3.1.1 clients cannot be told apart.
        var notShared = false;
        while (r.Next(out var field))
        {
            switch (field)
            {
                case 1: clientId = r.String(); break;
                case 2: text = r.String(); break;
                case 3: qos = (QualityOfService)r.UInt(); break;
                case 4: noLocal = r.Bool(); break;
                case 5: retainAsPublished = r.Bool(); break;
                case 6: handling = (RetainHandling)r.UInt(); break;
                case 7: identifier = checked((int)r.UInt()); break;
                case 8: notShared = r.Bool(); break;
                default: r.Skip(); break;
            }
        }

        if (!TopicFilter.TryParse(text, allowShared: !notShared, out var filter, out var error))
        {
            throw new FormatException($"a journaled subscription has an invalid filter '{text}': {error}");
        }

        return new Subscription(clientId, filter, qos)
        {
            NoLocal = noLocal,
            RetainAsPublished = retainAsPublished,
            RetainHandling = handling,
            SubscriptionIdentifier = identifier == 0 ? null : identifier,
        };
    }

    /// <summary>The will as the PUBLISH it becomes, with its delay beside it (no PUBLISH property holds a delay).</summary>
    public static void WriteWill(WireWriter w, MqttWill will)
    {
        var p = will.Properties;
        var message = new PublishPacket
        {
            Topic = will.Topic,
            Payload = will.Payload,
            QoS = will.QoS,
            Retain = will.Retain,
            PacketId = will.QoS == QualityOfService.AtMostOnce ? (ushort)0 : (ushort)1,
            Properties = p is null ? null : new MqttProperties
            {
                PayloadFormatIndicator = p.PayloadFormatIndicator,
                MessageExpiryInterval = p.MessageExpiryInterval,
                ContentType = p.ContentType,
                ResponseTopic = p.ResponseTopic,
                CorrelationData = p.CorrelationData,
                UserProperties = p.UserProperties,
            },
        };
        w.Bytes(1, EncodePacket(message));
        w.Bool(2, p is not null);
        w.UInt(3, p?.WillDelayInterval ?? 0);
    }

    public static MqttWill ReadWill(ReadOnlySpan<byte> data)
    {
        var r = new WireReader(data);
        PublishPacket? message = null;
        var hasProperties = false;
        uint delay = 0;
        while (r.Next(out var field))
        {
            switch (field)
            {
                case 1: message = DecodePacket(r.Bytes()); break;
                case 2: hasProperties = r.Bool(); break;
                case 3: delay = checked((uint)r.UInt()); break;
                default: r.Skip(); break;
            }
        }

        if (message is null)
        {
            throw new FormatException("a journaled will has no message");
        }

        var p = message.Properties;
        return new MqttWill(message.Topic, message.Payload)
        {
            QoS = message.QoS,
            Retain = message.Retain,
            Properties = !hasProperties ? null : new MqttProperties
            {
                WillDelayInterval = delay,
                PayloadFormatIndicator = p?.PayloadFormatIndicator,
                MessageExpiryInterval = p?.MessageExpiryInterval,
                ContentType = p?.ContentType,
                ResponseTopic = p?.ResponseTopic,
                CorrelationData = p?.CorrelationData,
                UserProperties = p?.UserProperties ?? [],
            },
        };
    }

    /// <summary>Receipt times are kept in process ticks (cheap, monotonic); the journal needs wall-clock time.</summary>
    public static long ToUnixMilliseconds(long ticks) =>
        TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() - (TimeProvider.System.Milliseconds() - ticks);

    public static long FromUnixMilliseconds(long unixMilliseconds) =>
        TimeProvider.System.Milliseconds() - (TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() - unixMilliseconds);

    private static byte[] EncodePacket(PublishPacket message)
    {
        // The publisher's packet id means nothing once the message is routed; QoS 1 and 2 need one to be well formed.
        var stored = message.QoS == QualityOfService.AtMostOnce
            ? message with { PacketId = 0, Dup = false }
            : message with { PacketId = message.PacketId == 0 ? (ushort)1 : message.PacketId };
        var buffer = new ArrayBufferWriter<byte>(MqttPacketEncoder.GetSize(stored, MqttProtocolVersion.V500));
        MqttPacketEncoder.Encode(stored, MqttProtocolVersion.V500, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static PublishPacket DecodePacket(ReadOnlySpan<byte> bytes)
    {
        var sequence = new ReadOnlySequence<byte>(bytes.ToArray());
        if (MqttPacketDecoder.TryRead(ref sequence, MqttProtocolVersion.V500, int.MaxValue, out var packet, out var error) != OperationStatus.Done
            || packet is not PublishPacket publish)
        {
            throw new FormatException($"a journaled PUBLISH does not decode: {error}");
        }

        return publish;
    }
}
