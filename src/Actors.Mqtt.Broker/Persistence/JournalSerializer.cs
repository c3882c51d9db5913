using System.Collections.Frozen;
using System.Runtime.Serialization;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Akka.Actor;
using Akka.Serialization;
using Google.Protobuf;

namespace Actors.Mqtt.Broker.Persistence;

/// <summary>
/// Writes every journaled event and snapshot of the broker. The manifest names the record and the message of
/// journal.proto that holds it; the schema's field numbers let a record that gains a field still read its older
/// entries, with the default for what they lack. Manifests and field numbers are never reused for something else.
/// </summary>
public sealed class JournalSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>
    /// Each journaled record: its manifest, stored with every entry and so fixed for good (each is also the name of
    /// its message in journal.proto), and how it becomes that message and back. Conversions longer than a line live in
    /// <see cref="JournalFormats"/>.
    /// </summary>
    private static readonly Format[] Formats =
    [
        Format.Of<SessionStarted, Proto.SessionStarted>("SessionStarted", e => new() { ExpiryInterval = e.ExpiryInterval }, m => new(m.ExpiryInterval)),
        Format.Of<ExpiryChanged, Proto.ExpiryChanged>("ExpiryChanged", e => new() { ExpiryInterval = e.ExpiryInterval }, m => new(m.ExpiryInterval)),
        Format.Of<WillChanged, Proto.WillChanged>(
            "WillChanged",
            e => new() { Will = e.Will is { } will ? JournalFormats.ToProto(will) : null },
            m => new(m.Will is { } will ? JournalFormats.FromProto(will) : null)),
        Format.Of<Subscribed, Proto.Subscribed>(
            "Subscribed",
            e => new() { Subscriptions = { e.Subscriptions.Select(JournalFormats.ToProto) } },
            m => new(m.Subscriptions.Select(JournalFormats.FromProto).ToList())),
        Format.Of<Unsubscribed, Proto.Unsubscribed>("Unsubscribed", e => new() { FilterTexts = { e.FilterTexts } }, m => new(m.FilterTexts.ToList())),
        Format.Of<MessageQueued, Proto.MessageQueued>("MessageQueued", JournalFormats.ToProto, JournalFormats.FromProto),
        Format.Of<MessagesQueued, Proto.MessagesQueued>(
            "MessagesQueued",
            e => new() { Messages = { e.Messages.Select(JournalFormats.ToProto) } },
            m => new(m.Messages.Select(JournalFormats.FromProto).ToList())),
        Format.Of<MessageDropped, Proto.MessageDropped>("MessageDropped", _ => new(), _ => MessageDropped.Instance),
        Format.Of<MessageSent, Proto.MessageSent>("MessageSent", e => new() { PacketIds = { e.PacketIds.Select(id => (uint)id) } }, m => new(PacketIds(m.PacketIds))),
        Format.Of<MessageAcknowledged, Proto.MessageAcknowledged>(
            "MessageAcknowledged",
            e => new() { PacketIds = { e.PacketIds.Select(id => (uint)id) } },
            m => new(PacketIds(m.PacketIds))),
        Format.Of<MessageReceived, Proto.MessageReceived>("MessageReceived", e => new() { PacketId = e.PacketId }, m => new(JournalFormats.PacketId(m.PacketId))),
        Format.Of<Qos2Received, Proto.Qos2Received>(
            "Qos2Received",
            e => new() { PacketId = e.PacketId, MessageKey = e.MessageKey, ContentDigest = e.Digest },
            m => new(JournalFormats.PacketId(m.PacketId), m.MessageKey, m.ContentDigest)),
        Format.Of<Qos2Routed, Proto.Qos2Routed>("Qos2Routed", e => new() { PacketId = e.PacketId }, m => new(JournalFormats.PacketId(m.PacketId))),
        Format.Of<Qos2Released, Proto.Qos2Released>("Qos2Released", e => new() { PacketId = e.PacketId }, m => new(JournalFormats.PacketId(m.PacketId))),
        Format.Of<SessionDetached, Proto.SessionDetached>(
            "SessionDetached",
            e => new() { At = e.At.ToUnixTimeMilliseconds() },
            m => new(DateTimeOffset.FromUnixTimeMilliseconds(m.At))),
        Format.Of<SessionResumed, Proto.SessionResumed>("SessionResumed", _ => new(), _ => SessionResumed.Instance),
        Format.Of<SessionSnapshot, Proto.SessionSnapshot>("SessionSnapshot", JournalFormats.ToProto, JournalFormats.FromProto),
        Format.Of<RetainedSet, Proto.RetainedSet>(
            "RetainedSet",
            e => new() { Message = JournalFormats.ToProto(e.Message) },
            m => new(JournalFormats.FromProto(m.Message ?? throw JournalFormats.Missing(nameof(RetainedSet))))),
        Format.Of<RetainedCleared, Proto.RetainedCleared>("RetainedCleared", e => new() { Topic = e.Topic }, m => new(m.Topic)),
        Format.Of<RetainedSnapshot, Proto.RetainedSnapshot>(
            "RetainedSnapshot",
            e => new() { Messages = { e.Messages.Select(JournalFormats.ToProto) } },
            m => new(m.Messages.Select(JournalFormats.FromProto).ToList())),
    ];

    private static readonly FrozenDictionary<Type, Format> ByType = Formats.ToFrozenDictionary(f => f.Type);

    private static readonly FrozenDictionary<string, Format> ByManifest = Formats.ToFrozenDictionary(f => f.Manifest, StringComparer.Ordinal);

    public override int Identifier => 1883;

    public override string Manifest(object o) => For(o).Manifest;

    public override byte[] ToBinary(object obj) => For(obj).ToMessage(obj).ToByteArray();

    public override object FromBinary(byte[] bytes, string manifest) =>
        ByManifest.TryGetValue(manifest, out var format)
            ? format.FromBinary(bytes)
            : throw new SerializationException($"unknown journal manifest '{manifest}'");

    private static Format For(object o) =>
        ByType.TryGetValue(o.GetType(), out var format)
            ? format
            : throw new ArgumentException($"{o.GetType()} is not journaled by {nameof(JournalSerializer)}", nameof(o));

    private static ushort[] PacketIds(IEnumerable<uint> stored) => [.. stored.Select(JournalFormats.PacketId)];

    private sealed record Format(string Manifest, Type Type, Func<object, IMessage> ToMessage, Func<byte[], object> FromBinary)
    {
        public static Format Of<TRecord, TMessage>(string manifest, Func<TRecord, TMessage> toMessage, Func<TMessage, TRecord> fromMessage)
            where TRecord : notnull
            where TMessage : IMessage<TMessage>, new()
        {
            var parser = new MessageParser<TMessage>(() => new TMessage());
            return new(manifest, typeof(TRecord), o => toMessage((TRecord)o), bytes => fromMessage(parser.ParseFrom(bytes)));
        }
    }
}
