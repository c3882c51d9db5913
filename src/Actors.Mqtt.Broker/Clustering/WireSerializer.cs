using System.Collections.Frozen;
using System.Runtime.Serialization;
using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;
using Akka.Serialization;
using Google.Protobuf;

namespace Actors.Mqtt.Broker.Clustering;

/// <summary>
/// Writes every message one node of the broker sends another through Akka.Remote (topic subtrees and sessions,
/// connections and sessions). The manifest names the record and the message of wire.proto that holds it; nodes of two
/// versions talk during a rolling upgrade, so manifests and field numbers are never reused for something else, and a
/// field a newer node adds reads as its default on an older one. Local messages are never serialized.
/// </summary>
public sealed class WireSerializer : SerializerWithStringManifest
{
    private readonly FrozenDictionary<Type, Format> byType;
    private readonly FrozenDictionary<string, Format> byManifest;

    public WireSerializer(ExtendedActorSystem system)
        : base(system)
    {
        var time = system.Settings.Setup.Get<WireClockSetup>() is { HasValue: true } setup ? setup.Value.Time : TimeProvider.System;
        var w = new WireFormats(system, time);

        // Each message: its manifest, fixed for good (each is also the name of its message in wire.proto), and how it
        // becomes that message and back. Conversions longer than a line live in WireFormats.
        Format[] formats =
        [
            Format.Of<AddSubscriptions, Proto.AddSubscriptions>("AddSubscriptions", WireFormats.ToProto, w.FromProto),
            Format.Of<RemoveSubscriptions, Proto.RemoveSubscriptions>(
                "RemoveSubscriptions",
                m => new() { ClientId = m.ClientId, FilterTexts = { m.FilterTexts } },
                m => new(m.ClientId, m.FilterTexts.ToList())),
            Format.Of<RemoveClient, Proto.RemoveClient>("RemoveClient", m => new() { ClientId = m.ClientId }, m => new(m.ClientId)),
            Format.Of<SessionPresence, Proto.SessionPresence>(
                "SessionPresence",
                m => new() { ClientId = m.ClientId, Connected = m.Connected },
                m => new(m.ClientId, m.Connected)),
            Format.Of<DeliverMessage, Proto.DeliverMessage>("DeliverMessage", w.ToProto, w.FromProto),
            Format.Of<SharedDeliveryRefused, Proto.SharedDeliveryRefused>(
                "SharedDeliveryRefused",
                m => new() { Message = w.ToProto(m.Message) },
                m => new(w.FromProto(m.Message ?? throw WireFormats.Missing(nameof(SharedDeliveryRefused))))),
            Format.Of<RouteCounted, Proto.RouteCounted>(
                "RouteCounted",
                m => new() { Id = m.Id, Writes = m.Writes, Matched = m.Matched },
                m => new(m.Id, m.Writes, m.Matched)),
            Format.Of<WriteConfirmed, Proto.WriteConfirmed>(
                "WriteConfirmed",
                m => new() { Id = m.Id, Stored = m.Stored, RoutedWrites = m.RoutedWrites },
                m => new(m.Id, m.Stored, m.RoutedWrites)),
            Format.Of<Paced, Proto.Paced>("Paced", m => new() { Seq = m.Seq, Copies = m.Copies }, m => new(m.Seq, m.Copies)),
            Format.Of<SessionEnvelope, Proto.SessionEnvelope>("SessionEnvelope", w.ToProto, w.FromProto),
            Format.Of<AttachSession, Proto.AttachSession>("AttachSession", WireFormats.ToProto, w.FromProto),
            Format.Of<SessionAttached, Proto.SessionAttached>(
                "SessionAttached",
                m => new() { Session = WireFormats.Path(m.Session), SessionPresent = m.SessionPresent },
                m => new(w.Ref(m.Session), m.SessionPresent)),
            Format.Of<DetachSession, Proto.DetachSession>("DetachSession", WireFormats.ToProto, w.FromProto),
            Format.Of<SessionTakenOver, Proto.SessionTakenOver>("SessionTakenOver", _ => new(), _ => SessionTakenOver.Instance),
            Format.Of<SubscribeRequest, Proto.SubscribeRequest>(
                "SubscribeRequest",
                m => new() { Packet = WireFormats.ToProto(m.Packet), Denied = { m.Denied ?? [] } },
                m => new(WireFormats.FromProto<SubscribePacket>(m.Packet), m.Denied.Count == 0 ? null : [.. m.Denied])),
            Format.Of<UnsubscribeRequest, Proto.UnsubscribeRequest>(
                "UnsubscribeRequest",
                m => new() { Packet = WireFormats.ToProto(m.Packet) },
                m => new(WireFormats.FromProto<UnsubscribePacket>(m.Packet))),
            Format.Of<OutboundAcknowledged, Proto.OutboundAcknowledged>(
                "OutboundAcknowledged",
                m => new() { PubAcks = { m.PubAcks.Select(id => (uint)id) }, PubComps = { m.PubComps.Select(id => (uint)id) } },
                m => new(PacketIds(m.PubAcks), PacketIds(m.PubComps))),
            Format.Of<OutboundDiscarded, Proto.OutboundDiscarded>(
                "OutboundDiscarded",
                m => new() { PacketId = m.PacketId },
                m => new(PacketId(m.PacketId))),
            Format.Of<ProtocolViolation, Proto.ProtocolViolation>("ProtocolViolation", ToProto, FromProto),
            Format.Of<OutboundReceived, Proto.OutboundReceived>(
                "OutboundReceived",
                m => new() { PacketId = m.PacketId, ReasonCode = (uint)m.ReasonCode },
                m => new(PacketId(m.PacketId), Reason(m.ReasonCode))),
            Format.Of<InboundQos2, Proto.InboundQos2>("InboundQos2", w.ToProto, w.FromProto),
            Format.Of<InboundRelease, Proto.InboundRelease>(
                "InboundRelease",
                m => new() { PacketId = m.PacketId },
                m => new(PacketId(m.PacketId))),
            Format.Of<SendToClient, Proto.SendToClient>("SendToClient", WireFormats.ToProto, w.FromProto),
            Format.Of<InboundQos2Done, Proto.InboundQos2Done>(
                "InboundQos2Done",
                m => new() { PacketId = m.PacketId, ReasonCode = (uint)m.ReasonCode, Durable = m.Durable },
                m => new(PacketId(m.PacketId), Reason(m.ReasonCode), m.Durable)),
            Format.Of<WakeUp, Proto.WakeUp>(
                "WakeUp",
                m => new() { DetachedSince = m.DetachedSince?.ToUnixTimeMilliseconds() ?? 0 },
                m => m.DetachedSince == 0 ? WakeUp.Instance : new(DateTimeOffset.FromUnixTimeMilliseconds(m.DetachedSince))),
            Format.Of<SessionAwake, Proto.SessionAwake>("SessionAwake", _ => new(), _ => SessionAwake.Instance),
            Format.Of<SessionUnreadable, Proto.SessionUnreadable>("SessionUnreadable", _ => new(), _ => SessionUnreadable.Instance),
            Format.Of<SessionWriteFailed, Proto.SessionWriteFailed>("SessionWriteFailed", _ => new(), _ => SessionWriteFailed.Instance),
            Format.Of<PeerChange, Proto.PeerChange>("PeerChange", WireFormats.ToProto, w.FromProto),
            Format.Of<PeerChangeHeld, Proto.PeerChangeHeld>("PeerChangeHeld", m => new() { AwaitId = m.AwaitId }, m => new(m.AwaitId)),
            Format.Of<PeerHello, Proto.PeerHello>("PeerHello", _ => new(), _ => PeerHello.Instance),
            Format.Of<PeerWelcome, Proto.PeerWelcome>("PeerWelcome", _ => new(), _ => PeerWelcome.Instance),
            Format.Of<StoreRetained, Proto.StoreRetained>("StoreRetained", w.ToProto, w.FromProto),
            Format.Of<QueryRetained, Proto.QueryRetained>(
                "QueryRetained",
                m => new() { Subscriptions = { m.Subscriptions.Select(JournalFormats.ToProto) } },
                m => new(m.Subscriptions.Select(JournalFormats.FromProto).ToList())),
            Format.Of<RetainedMatches, Proto.RetainedMatches>("RetainedMatches", w.ToProto, w.FromProto),
        ];
        byType = formats.ToFrozenDictionary(f => f.Type);
        byManifest = formats.ToFrozenDictionary(f => f.Manifest, StringComparer.Ordinal);
    }

    public override int Identifier => 1884;

    public override string Manifest(object o) => For(o).Manifest;

    public override byte[] ToBinary(object obj) => For(obj).ToMessage(obj).ToByteArray();

    public override object FromBinary(byte[] bytes, string manifest) =>
        byManifest.TryGetValue(manifest, out var format)
            ? format.FromBinary(bytes)
            : throw new SerializationException($"unknown manifest '{manifest}' for {nameof(WireSerializer)}: a message from a node of a newer broker version?");

    private Format For(object o) =>
        byType.TryGetValue(o.GetType(), out var format)
            ? format
            : throw new ArgumentException($"{o.GetType()} is not written by {nameof(WireSerializer)}", nameof(o));

    private static Proto.ProtocolViolation ToProto(ProtocolViolation m)
    {
        var wire = new Proto.ProtocolViolation { ReasonCode = (uint)m.Error.ReasonCode, Message = m.Error.Message };
        if (m.Error.SpecId is { } specId)
        {
            wire.SpecId = specId;
        }

        return wire;
    }

    private static ProtocolViolation FromProto(Proto.ProtocolViolation m) =>
        new(new MqttError(Reason(m.ReasonCode), m.Message, m.HasSpecId ? m.SpecId : null));

    /// <summary>A packet id, which the schema can only hold as a 32-bit number: a larger one is corrupt, not another id.</summary>
    private static ushort PacketId(uint wire) => checked((ushort)wire);

    private static ushort[] PacketIds(IEnumerable<uint> wire) => [.. wire.Select(PacketId)];

    private static ReasonCode Reason(uint wire) => (ReasonCode)checked((byte)wire);

    private sealed record Format(string Manifest, Type Type, Func<object, IMessage> ToMessage, Func<byte[], object> FromBinary)
    {
        public static Format Of<TRecord, TMessage>(string manifest, Func<TRecord, TMessage> toMessage, Func<TMessage, TRecord> fromMessage)
            where TRecord : IWireMessage
            where TMessage : IMessage<TMessage>, new()
        {
            var parser = new MessageParser<TMessage>(() => new TMessage());
            return new(manifest, typeof(TRecord), o => toMessage((TRecord)o), bytes => fromMessage(parser.ParseFrom(bytes)));
        }
    }
}
