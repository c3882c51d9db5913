using System.Buffers;
using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Topics;
using Akka.Actor;
using Google.Protobuf;

namespace Actors.Mqtt.Broker.Clustering;

/// <summary>
/// Converts the messages nodes send each other to the messages of wire.proto and back: the one place that knows both.
/// An MQTT packet is kept as the protocol codec encodes it for MQTT 5.0, which has every field any version has. What a
/// message holds besides plain values needs the actor system: actor references (as their serialized paths) and a
/// session's message of any type (nested with the serializer the system has for it); receipt times need the clock.
/// </summary>
internal sealed class WireFormats(ExtendedActorSystem system, TimeProvider time)
{
    public static Proto.AddSubscriptions ToProto(AddSubscriptions m) => new()
    {
        Session = Path(m.Session),
        Subscriptions = { m.Subscriptions.Select(JournalFormats.ToProto) },
        Durable = m.Durable,
        Connected = m.Connected,
        AwaitId = m.AwaitId,
    };

    public AddSubscriptions FromProto(Proto.AddSubscriptions m) =>
        new(Ref(m.Session), m.Subscriptions.Select(JournalFormats.FromProto).ToList(), m.Durable, m.Connected) { AwaitId = m.AwaitId };

    public Proto.DeliverMessage ToProto(DeliverMessage m)
    {
        var wire = new Proto.DeliverMessage
        {
            Publish = ToProto(m.Publish),
            Delivery = ToProto(m.Delivery),
            MustConfirm = m.MustConfirm,
            RoutedWrites = m.RoutedWrites,
            Pace = ToProto(m.Pace),
            RefusedBy = { m.RefusedBy },
        };
        if (m.SharedBy is { } sharedBy)
        {
            wire.SharedBy = Path(sharedBy);
        }

        return wire;
    }

    public DeliverMessage FromProto(Proto.DeliverMessage m) =>
        new(FromProto(m.Publish ?? throw Missing(nameof(DeliverMessage))), FromProto(m.Delivery ?? throw Missing(nameof(Delivery))), m.MustConfirm, m.RoutedWrites)
        {
            Pace = FromProto(m.Pace),
            SharedBy = m.HasSharedBy ? Ref(m.SharedBy) : null,
            RefusedBy = [.. m.RefusedBy],
        };

    public Proto.SessionEnvelope ToProto(SessionEnvelope m)
    {
        // As Akka.Remote wraps a payload: the receiving node picks the same serializer by its id.
        var serializer = system.Serialization.FindSerializerFor(m.Message);
        return new Proto.SessionEnvelope
        {
            ClientId = m.ClientId,
            SerializerId = serializer.Identifier,
            Manifest = Akka.Serialization.Serialization.ManifestFor(serializer, m.Message),
            Message = Wrap(serializer.ToBinary(m.Message)),
        };
    }

    public SessionEnvelope FromProto(Proto.SessionEnvelope m) =>
        new(m.ClientId, system.Serialization.Deserialize(m.Message.ToByteArray(), m.SerializerId, m.Manifest));

    public static Proto.AttachSession ToProto(AttachSession m) => new()
    {
        ClientId = m.ClientId,
        Connection = Path(m.Connection),
        Version = (uint)m.Version,
        CleanStart = m.CleanStart,
        SessionExpiryInterval = m.SessionExpiryInterval,
        Will = m.Will is { } will ? ToProto(will) : null,
        ClientReceiveMaximum = m.ClientReceiveMaximum,
    };

    public AttachSession FromProto(Proto.AttachSession m) => new(
        m.ClientId,
        Ref(m.Connection),
        (MqttProtocolVersion)m.Version,
        m.CleanStart,
        m.SessionExpiryInterval,
        m.Will is { } will ? FromProto(will) : null,
        checked((ushort)m.ClientReceiveMaximum));

    public static Proto.DetachSession ToProto(DetachSession m)
    {
        var wire = new Proto.DetachSession { Connection = Path(m.Connection), PublishWill = m.PublishWill };
        if (m.SessionExpiryInterval is { } expiry)
        {
            wire.SessionExpiryInterval = expiry;
        }

        return wire;
    }

    public DetachSession FromProto(Proto.DetachSession m) =>
        new(Ref(m.Connection), m.PublishWill, m.HasSessionExpiryInterval ? m.SessionExpiryInterval : null);

    public Proto.InboundQos2 ToProto(InboundQos2 m) => new() { Packet = ToProto(m.Packet), Age = Age(m.ReceivedAt) };

    public InboundQos2 FromProto(Proto.InboundQos2 m) => new(FromProto(m.Packet ?? throw Missing(nameof(InboundQos2))), ReceivedAt(m.Age));

    public static Proto.SendToClient ToProto(SendToClient m) => new() { Packet = ToProto(m.Packet), Pace = ToProto(m.Pace) };

    public SendToClient FromProto(Proto.SendToClient m) => new(FromProto(m.Packet ?? throw Missing(nameof(SendToClient)))) { Pace = FromProto(m.Pace) };

    public static Proto.Packet ToProto(MqttPacket packet) => packet switch
    {
        PublishPacket publish => new() { Publish = ToProto(publish) },
        SubscribePacket subscribe when subscribe.Subscriptions.Any(s => !ReadableIn5(s.TopicFilter)) => new() { Mqtt311 = Encode(subscribe, MqttProtocolVersion.V311) },
        UnsubscribePacket unsubscribe when unsubscribe.TopicFilters.Any(f => !ReadableIn5(f)) => new() { Mqtt311 = Encode(unsubscribe, MqttProtocolVersion.V311) },
        _ => new() { Mqtt5 = Encode(packet, MqttProtocolVersion.V500) },
    };

    public static MqttPacket FromProto(Proto.Packet stored) => stored.PacketCase switch
    {
        Proto.Packet.PacketOneofCase.Publish => FromProto(stored.Publish),
        Proto.Packet.PacketOneofCase.Mqtt5 => Decode(stored.Mqtt5, MqttProtocolVersion.V500),
        Proto.Packet.PacketOneofCase.Mqtt311 => Decode(stored.Mqtt311, MqttProtocolVersion.V311),
        _ => throw Missing("packet"),
    };

    public static TPacket FromProto<TPacket>(Proto.Packet? stored)
        where TPacket : MqttPacket =>
        FromProto(stored ?? throw Missing(typeof(TPacket).Name)) as TPacket
            ?? throw new FormatException($"a {typeof(TPacket).Name} was expected, another packet came");

    /// <summary>The path Akka.Remote resolves on the other node: with this node's address while a remote message is
    /// written (Akka sets it for the thread), the actor's uid, so a restarted actor of the same name is another.</summary>
    public static string Path(IActorRef actor) => Akka.Serialization.Serialization.SerializedActorPath(actor);

    public IActorRef Ref(string path) => system.Provider.ResolveActorRef(path);

    public static Proto.PaceMark? ToProto(PaceMark? mark) =>
        mark is null ? null : new() { Publisher = Path(mark.Publisher), Seq = mark.Seq, Copies = mark.Copies };

    public PaceMark? FromProto(Proto.PaceMark? mark) => mark is null ? null : new(Ref(mark.Publisher), mark.Seq, mark.Copies);

    public static Proto.PeerChange ToProto(PeerChange m)
    {
        var wire = new Proto.PeerChange { AwaitId = m.AwaitId };
        switch (m.Change)
        {
            case AddSubscriptions add:
                wire.Add = ToProto(add);
                break;
            case RemoveSubscriptions remove:
                wire.Remove = new Proto.RemoveSubscriptions { ClientId = remove.ClientId, FilterTexts = { remove.FilterTexts } };
                break;
            case RemoveClient remove:
                wire.RemoveClient = new Proto.RemoveClient { ClientId = remove.ClientId };
                break;
            case SessionPresence presence:
                wire.Presence = new Proto.SessionPresence { ClientId = presence.ClientId, Connected = presence.Connected };
                break;
            default:
                throw new ArgumentException($"{m.Change.GetType()} is no change of a topic tree", nameof(m));
        }

        return wire;
    }

    public PeerChange FromProto(Proto.PeerChange m) => new(
        m.ChangeCase switch
        {
            Proto.PeerChange.ChangeOneofCase.Add => FromProto(m.Add),
            Proto.PeerChange.ChangeOneofCase.Remove => new RemoveSubscriptions(m.Remove.ClientId, m.Remove.FilterTexts.ToList()),
            Proto.PeerChange.ChangeOneofCase.RemoveClient => new RemoveClient(m.RemoveClient.ClientId),
            Proto.PeerChange.ChangeOneofCase.Presence => new SessionPresence(m.Presence.ClientId, m.Presence.Connected),
            _ => throw Missing(nameof(PeerChange)),
        },
        m.AwaitId);

    public Proto.StoreRetained ToProto(StoreRetained m) => new()
    {
        Message = ToProto(m.Message),
        Age = Age(m.ReceivedAt),
        Confirm = m.Confirm is { } confirm ? new Proto.Confirmation { To = Path(confirm.To), Id = confirm.Id } : null,
    };

    public StoreRetained FromProto(Proto.StoreRetained m) =>
        new(FromProto(m.Message ?? throw Missing(nameof(StoreRetained))), ReceivedAt(m.Age))
        {
            Confirm = m.Confirm is { } confirm ? new Confirmation(Ref(confirm.To), confirm.Id) : null,
        };

    public Proto.RetainedMatches ToProto(RetainedMatches m) => new()
    {
        Subscription = JournalFormats.ToProto(m.Subscription),
        Messages = { m.Messages.Select(ToProto) },
    };

    public RetainedMatches FromProto(Proto.RetainedMatches m) =>
        new(JournalFormats.FromProto(m.Subscription ?? throw Missing(nameof(RetainedMatches))), m.Messages.Select(FromProto).ToList());

    public static FormatException Missing(string what) => new($"a {what} from another node lacks a required field");

    private Proto.RoutePublish ToProto(RoutePublish p)
    {
        var wire = new Proto.RoutePublish
        {
            Message = ToProto(p.Message),
            Age = Age(p.ReceivedAt),
            Confirm = p.Confirm is { } confirm ? new Proto.Confirmation { To = Path(confirm.To), Id = confirm.Id } : null,
            MessageKey = p.MessageKey,
            Rerouted = p.Rerouted,
            Pace = ToProto(p.Pace),
        };
        if (p.PublisherClientId is { } publisher)
        {
            wire.PublisherClientId = publisher;
        }

        return wire;
    }

    private RoutePublish FromProto(Proto.RoutePublish p) =>
        new(FromProto(p.Message ?? throw Missing(nameof(RoutePublish))), p.HasPublisherClientId ? p.PublisherClientId : null, ReceivedAt(p.Age))
        {
            Confirm = p.Confirm is { } confirm ? new Confirmation(Ref(confirm.To), confirm.Id) : null,
            MessageKey = p.MessageKey,
            Rerouted = p.Rerouted,
            Pace = FromProto(p.Pace),
        };

    private static Proto.Delivery ToProto(Delivery d) => new()
    {
        ClientId = d.ClientId,
        MaximumQos = (uint)d.MaximumQoS,
        RetainAsPublished = d.RetainAsPublished,
        SubscriptionIdentifiers = { d.SubscriptionIdentifiers.Select(id => (uint)id) },
        Group = d.Group is { } group ? new Proto.SharedGroup { ShareName = group.ShareName, Filter = group.Filter } : null,
    };

    private static Delivery FromProto(Proto.Delivery d) =>
        new(d.ClientId, (QualityOfService)d.MaximumQos, d.RetainAsPublished, d.SubscriptionIdentifiers.Select(id => checked((int)id)).ToList())
        {
            Group = d.Group is { } group ? new SharedGroup(group.ShareName, group.Filter) : null,
        };

    /// <summary>The will as the PUBLISH it becomes, with its delay beside it (no PUBLISH property holds a delay).</summary>
    private static Proto.Will ToProto(MqttWill will)
    {
        var p = will.Properties;
        var message = new PublishPacket
        {
            Topic = will.Topic,
            Payload = will.Payload,
            QoS = will.QoS,
            Retain = will.Retain,
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
        var wire = new Proto.Will { Message = ToProto(message), HasProperties = p is not null };
        if (p?.WillDelayInterval is { } delay)
        {
            wire.DelayInterval = delay;
        }

        return wire;
    }

    private static MqttWill FromProto(Proto.Will stored)
    {
        var message = FromProto(stored.Message ?? throw Missing("will"));
        var p = message.Properties;
        return new MqttWill(message.Topic, message.Payload)
        {
            QoS = message.QoS,
            Retain = message.Retain,
            Properties = !stored.HasProperties ? null : new MqttProperties
            {
                WillDelayInterval = stored.HasDelayInterval ? stored.DelayInterval : null,
                PayloadFormatIndicator = p?.PayloadFormatIndicator,
                MessageExpiryInterval = p?.MessageExpiryInterval,
                ContentType = p?.ContentType,
                ResponseTopic = p?.ResponseTopic,
                CorrelationData = p?.CorrelationData,
                UserProperties = p?.UserProperties ?? [],
            },
        };
    }

    private static Proto.Publish ToProto(PublishPacket p)
    {
        var noPacketId = p.QoS != QualityOfService.AtMostOnce && p.PacketId == 0;
        return new Proto.Publish
        {
            Packet = Encode(p with { Payload = ReadOnlyMemory<byte>.Empty, PacketId = noPacketId ? (ushort)1 : p.PacketId }, MqttProtocolVersion.V500),
            Payload = ByteString.CopyFrom(p.Payload.Span),
            NoPacketId = noPacketId,
        };
    }

    private static PublishPacket FromProto(Proto.Publish stored)
    {
        var packet = Decode(stored.Packet, MqttProtocolVersion.V500) as PublishPacket
            ?? throw new FormatException("a PUBLISH was expected, another packet came");

        // Both are slices of arrays the parsed message owns and nothing else writes.
        return packet with { Payload = stored.Payload.Memory, PacketId = stored.NoPacketId ? (ushort)0 : packet.PacketId };
    }

    /// <summary>Whether MQTT 5.0 reads the filter as the client meant it: a 3.1.1 filter such as <c>$share/x</c> is an
    /// ordinary one there, and a malformed shared subscription in 5.0.</summary>
    private static bool ReadableIn5(string filter) => TopicFilter.TryParse(filter, allowShared: true, out _, out _);

    private static ByteString Encode(MqttPacket packet, MqttProtocolVersion version)
    {
        var buffer = new ArrayBufferWriter<byte>(MqttPacketEncoder.GetSize(packet, version));
        MqttPacketEncoder.Encode(packet, version, buffer);

        // A new array that nothing else holds, so it need not be copied.
        return UnsafeByteOperations.UnsafeWrap(buffer.WrittenMemory);
    }

    private static MqttPacket Decode(ByteString encoded, MqttProtocolVersion version)
    {
        var sequence = new ReadOnlySequence<byte>(encoded.Memory);
        return MqttPacketDecoder.TryRead(ref sequence, version, int.MaxValue, out var packet, out var error) == OperationStatus.Done && sequence.IsEmpty
            ? packet!
            : throw new FormatException($"an MQTT packet from another node does not decode: {error}");
    }

    private static ByteString Wrap(byte[] bytes) => UnsafeByteOperations.UnsafeWrap(bytes);

    private long Age(long receivedAt) => time.Milliseconds() - receivedAt;

    private long ReceivedAt(long age) => time.Milliseconds() - age;
}
