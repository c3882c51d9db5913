using System.Buffers;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Topics;
using Google.Protobuf;

namespace Actors.Mqtt.Broker.Persistence;

/// <summary>
/// Converts the records events carry to the messages of journal.proto and back: the one place that knows both. An
/// application message is kept as an MQTT 5 PUBLISH packet: the protocol codec already writes every property
/// compactly, and the spec fixes that format for good.
/// </summary>
internal static class JournalFormats
{
    public static Proto.RoutePublish ToProto(RoutePublish publish)
    {
        var stored = new Proto.RoutePublish
        {
            Packet = Wrap(EncodePacket(publish.Message)),
            ReceivedAt = ToUnixMilliseconds(publish.ReceivedAt),
            MessageKey = publish.MessageKey,
        };
        if (publish.PublisherClientId is { } publisher)
        {
            stored.PublisherClientId = publisher;
        }

        return stored;
    }

    public static RoutePublish FromProto(Proto.RoutePublish stored)
    {
        if (stored.Packet.IsEmpty)
        {
            throw new FormatException("a journaled message has no PUBLISH");
        }

        return new RoutePublish(DecodePacket(stored.Packet.Span), stored.HasPublisherClientId ? stored.PublisherClientId : null, FromUnixMilliseconds(stored.ReceivedAt))
        {
            MessageKey = stored.MessageKey,
        };
    }

    public static Proto.QueuedMessage ToProto(QueuedMessage message) => new()
    {
        Publish = ToProto(message.Publish),
        ClientId = message.Delivery.ClientId,
        MaximumQos = (uint)message.Delivery.MaximumQoS,
        RetainAsPublished = message.Delivery.RetainAsPublished,
        SubscriptionIdentifiers = { message.Delivery.SubscriptionIdentifiers.Select(id => (uint)id) },
        Retain = message.Retain,
    };

    public static QueuedMessage FromProto(Proto.QueuedMessage stored) => new(
        FromProto(stored.Publish ?? throw Missing("queued message")),
        new Delivery(
            stored.ClientId,
            (QualityOfService)stored.MaximumQos,
            stored.RetainAsPublished,
            stored.SubscriptionIdentifiers.Select(id => checked((int)id)).ToList()),
        stored.Retain);

    public static Proto.MessageQueued ToProto(MessageQueued e) => new() { Message = ToProto(e.Message), SentAs = e.SentAs };

    public static MessageQueued FromProto(Proto.MessageQueued stored) =>
        new(FromProto(stored.Message ?? throw Missing(nameof(MessageQueued))), PacketId(stored.SentAs));

    public static Proto.Subscription ToProto(Subscription s) => new()
    {
        ClientId = s.ClientId,
        FilterText = s.FilterText,
        MaximumQos = (uint)s.MaximumQoS,
        NoLocal = s.NoLocal,
        RetainAsPublished = s.RetainAsPublished,
        RetainHandling = (uint)s.RetainHandling,
        SubscriptionIdentifier = (uint)(s.SubscriptionIdentifier ?? 0),
        NotShared = !s.Filter.IsShared,
    };

    public static Subscription FromProto(Proto.Subscription stored)
    {
        if (!TopicFilter.TryParse(stored.FilterText, allowShared: !stored.NotShared, out var filter, out var error))
        {
            throw new FormatException($"a journaled subscription has an invalid filter '{stored.FilterText}': {error}");
        }

        return new Subscription(stored.ClientId, filter, (QualityOfService)stored.MaximumQos)
        {
            NoLocal = stored.NoLocal,
            RetainAsPublished = stored.RetainAsPublished,
            RetainHandling = (RetainHandling)stored.RetainHandling,
            SubscriptionIdentifier = stored.SubscriptionIdentifier == 0 ? null : checked((int)stored.SubscriptionIdentifier),
        };
    }

    /// <summary>The will as the PUBLISH it becomes, with its delay beside it (no PUBLISH property holds a delay).</summary>
    public static Proto.Will ToProto(MqttWill will)
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
        return new Proto.Will
        {
            Packet = Wrap(EncodePacket(message)),
            HasProperties = p is not null,
            DelayInterval = p?.WillDelayInterval ?? 0,
        };
    }

    public static MqttWill FromProto(Proto.Will stored)
    {
        if (stored.Packet.IsEmpty)
        {
            throw new FormatException("a journaled will has no message");
        }

        var message = DecodePacket(stored.Packet.Span);
        var p = message.Properties;
        return new MqttWill(message.Topic, message.Payload)
        {
            QoS = message.QoS,
            Retain = message.Retain,
            Properties = !stored.HasProperties ? null : new MqttProperties
            {
                WillDelayInterval = stored.DelayInterval,
                PayloadFormatIndicator = p?.PayloadFormatIndicator,
                MessageExpiryInterval = p?.MessageExpiryInterval,
                ContentType = p?.ContentType,
                ResponseTopic = p?.ResponseTopic,
                CorrelationData = p?.CorrelationData,
                UserProperties = p?.UserProperties ?? [],
            },
        };
    }

    public static Proto.SessionSnapshot ToProto(SessionSnapshot s)
    {
        var stored = new Proto.SessionSnapshot
        {
            ExpiryInterval = s.ExpiryInterval,
            Will = s.Will is { } will ? ToProto(will) : null,
            Subscriptions = { s.Subscriptions.Select(ToProto) },
            Queue = { s.Queue.Select(ToProto) },
            Inflight = { s.Inflight.Select(f => new Proto.InflightSnapshot { PacketId = f.PacketId, Message = ToProto(f.Message), Released = f.Released }) },
            InboundQos2 = { s.InboundQos2.Select(i => new Proto.InboundQos2Snapshot { PacketId = i.PacketId, MessageKey = i.MessageKey, Routed = i.Routed, ContentDigest = i.Digest }) },
            LastPacketId = s.LastPacketId,
            FinishedKeys = { s.FinishedKeys },
        };
        if (s.DetachedAt is { } at)
        {
            stored.DetachedAt = at.ToUnixTimeMilliseconds();
        }

        return stored;
    }

    public static SessionSnapshot FromProto(Proto.SessionSnapshot stored) => new(
        stored.ExpiryInterval,
        stored.Will is { } will ? FromProto(will) : null,
        stored.Subscriptions.Select(FromProto).ToList(),
        stored.Queue.Select(FromProto).ToList(),
        stored.Inflight.Select(f => new InflightSnapshot(PacketId(f.PacketId), FromProto(f.Message ?? throw Missing(nameof(InflightSnapshot))), f.Released)).ToList(),
        stored.InboundQos2.Select(i => new InboundQos2Snapshot(PacketId(i.PacketId), i.MessageKey, i.Routed, i.ContentDigest)).ToList(),
        PacketId(stored.LastPacketId),
        stored.HasDetachedAt ? DateTimeOffset.FromUnixTimeMilliseconds(stored.DetachedAt) : null)
    {
        FinishedKeys = [.. stored.FinishedKeys],
    };

    /// <summary>A packet id, which the schema can only hold as a 32-bit number: a larger one is a corrupt entry, not
    /// another id.</summary>
    public static ushort PacketId(uint stored) => checked((ushort)stored);

    public static FormatException Missing(string what) => new($"a journaled {what} lacks a required field");

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

    /// <summary>The encoded packet is a new array that nothing else holds, so it need not be copied.</summary>
    private static ByteString Wrap(byte[] encoded) => UnsafeByteOperations.UnsafeWrap(encoded);

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
