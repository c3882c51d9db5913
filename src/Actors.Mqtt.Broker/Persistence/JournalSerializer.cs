using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Akka.Actor;
using Akka.Serialization;

namespace Actors.Mqtt.Broker.Persistence;

/// <summary>
/// Writes every journaled event and snapshot of the broker. The manifest names the record; its fields are tagged
/// (<see cref="WireWriter"/>), so a record that gains a field still reads its older entries, with the default for
/// what they lack. Manifests and field numbers are never reused for something else.
/// </summary>
public sealed class JournalSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public override int Identifier => 1883;

    public override string Manifest(object o) => o switch
    {
        SessionStarted => "SessionStarted",
        ExpiryChanged => "ExpiryChanged",
        WillChanged => "WillChanged",
        Subscribed => "Subscribed",
        Unsubscribed => "Unsubscribed",
        MessageQueued => "MessageQueued",
        MessagesQueued => "MessagesQueued",
        MessageDropped => "MessageDropped",
        MessageSent => "MessageSent",
        MessageAcknowledged => "MessageAcknowledged",
        MessageReceived => "MessageReceived",
        Qos2Received => "Qos2Received",
        Qos2Routed => "Qos2Routed",
        Qos2Released => "Qos2Released",
        SessionDetached => "SessionDetached",
        SessionResumed => "SessionResumed",
        SessionSnapshot => "SessionSnapshot",
        RetainedSet => "RetainedSet",
        RetainedCleared => "RetainedCleared",
        RetainedSnapshot => "RetainedSnapshot",
        _ => throw new ArgumentException($"{o.GetType()} is not journaled by {nameof(JournalSerializer)}", nameof(o)),
    };

    public override byte[] ToBinary(object obj)
    {
        var w = new WireWriter();
        switch (obj)
        {
            case SessionStarted e: w.UInt(1, e.ExpiryInterval); break;
            case ExpiryChanged e: w.UInt(1, e.ExpiryInterval); break;
            case WillChanged { Will: { } will }: w.Message(1, n => JournalFormats.WriteWill(n, will)); break;
            case WillChanged: break;
            case Subscribed e:
                foreach (var s in e.Subscriptions)
                {
                    w.Message(1, n => JournalFormats.WriteSubscription(n, s));
                }

                break;
            case Unsubscribed e:
                foreach (var text in e.FilterTexts)
                {
                    w.String(1, text);
                }

                break;
            case MessageQueued e: WriteMessageQueued(w, e); break;
            case MessagesQueued e:
                foreach (var queued in e.Messages)
                {
                    w.Message(1, n => WriteMessageQueued(n, queued));
                }

                break;
            case MessageDropped: break;
            case MessageSent e: PacketIds(w, e.PacketIds); break;
            case MessageAcknowledged e: PacketIds(w, e.PacketIds); break;
            case MessageReceived e: w.UInt(1, e.PacketId); break;
            case Qos2Received e:
                w.UInt(1, e.PacketId);
                w.Int(2, e.MessageKey);
                break;
            case Qos2Routed e: w.UInt(1, e.PacketId); break;
            case Qos2Released e: w.UInt(1, e.PacketId); break;
            case SessionDetached e: w.Int(1, e.At.ToUnixTimeMilliseconds()); break;
            case SessionResumed: break;
            case SessionSnapshot e: WriteSnapshot(w, e); break;
            case RetainedSet e: w.Message(1, n => JournalFormats.WritePublish(n, e.Message)); break;
            case RetainedCleared e: w.String(1, e.Topic); break;
            case RetainedSnapshot e:
                foreach (var m in e.Messages)
                {
                    w.Message(1, n => JournalFormats.WritePublish(n, m));
                }

                break;
            default:
                throw new ArgumentException($"{obj.GetType()} is not journaled by {nameof(JournalSerializer)}", nameof(obj));
        }

        return w.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest) => manifest switch
    {
        "SessionStarted" => new SessionStarted((uint)One(bytes)),
        "ExpiryChanged" => new ExpiryChanged((uint)One(bytes)),
        "WillChanged" => new WillChanged(Nested(bytes, 1) is { } will ? JournalFormats.ReadWill(will) : null),
        "Subscribed" => new Subscribed(Repeated(bytes, 1).Select(b => JournalFormats.ReadSubscription(b)).ToList()),
        "Unsubscribed" => new Unsubscribed(Repeated(bytes, 1).Select(b => System.Text.Encoding.UTF8.GetString(b)).ToList()),
        "MessageQueued" => ReadMessageQueued(bytes, manifest),
        "MessagesQueued" => new MessagesQueued(Repeated(bytes, 1).Select(b => ReadMessageQueued(b, manifest)).ToList()),
        "MessageDropped" => MessageDropped.Instance,
        "MessageSent" => new MessageSent(ReadPacketIds(bytes)),
        "MessageAcknowledged" => new MessageAcknowledged(ReadPacketIds(bytes)),
        "MessageReceived" => new MessageReceived((ushort)One(bytes)),
        "Qos2Received" => ReadQos2Received(bytes),
        "Qos2Routed" => new Qos2Routed((ushort)One(bytes)),
        "Qos2Released" => new Qos2Released((ushort)One(bytes)),
        "SessionDetached" => new SessionDetached(DateTimeOffset.FromUnixTimeMilliseconds(ReadInt(bytes, 1))),
        "SessionResumed" => SessionResumed.Instance,
        "SessionSnapshot" => ReadSnapshot(bytes),
        "RetainedSet" => new RetainedSet(JournalFormats.ReadPublish(Nested(bytes, 1) ?? throw Missing(manifest))),
        "RetainedCleared" => new RetainedCleared(Nested(bytes, 1) is { } topic ? System.Text.Encoding.UTF8.GetString(topic) : string.Empty),
        "RetainedSnapshot" => new RetainedSnapshot(Repeated(bytes, 1).Select(b => JournalFormats.ReadPublish(b)).ToList()),
        _ => throw new System.Runtime.Serialization.SerializationException($"unknown journal manifest '{manifest}'"),
    };

    /// <summary>A <see cref="MessageQueued"/> as its own entry, and as each item of a <see cref="MessagesQueued"/>.</summary>
    private static void WriteMessageQueued(WireWriter w, MessageQueued e)
    {
        w.Message(1, n => JournalFormats.WriteQueued(n, e.Message));
        w.UInt(2, e.SentAs);
    }

    private static MessageQueued ReadMessageQueued(byte[] bytes, string manifest) =>
        new(JournalFormats.ReadQueued(Nested(bytes, 1) ?? throw Missing(manifest)), (ushort)ReadUInt(bytes, 2));

    private static void WriteSnapshot(WireWriter w, SessionSnapshot s)
    {
        w.UInt(1, s.ExpiryInterval);
        if (s.Will is { } will)
        {
            w.Message(2, n => JournalFormats.WriteWill(n, will));
        }

        foreach (var sub in s.Subscriptions)
        {
            w.Message(3, n => JournalFormats.WriteSubscription(n, sub));
        }

        foreach (var q in s.Queue)
        {
            w.Message(4, n => JournalFormats.WriteQueued(n, q));
        }

        foreach (var f in s.Inflight)
        {
            w.Message(5, n =>
            {
                n.UInt(1, f.PacketId);
                n.Message(2, m => JournalFormats.WriteQueued(m, f.Message));
                n.Bool(3, f.Released);
            });
        }

        foreach (var i in s.InboundQos2)
        {
            w.Message(6, n =>
            {
                n.UInt(1, i.PacketId);
                n.Int(2, i.MessageKey);
                n.Bool(3, i.Routed);
            });
        }

        w.UInt(7, s.LastPacketId);
        if (s.DetachedAt is { } at)
        {
            w.Int(8, at.ToUnixTimeMilliseconds());
        }

        foreach (var key in s.FinishedKeys)
        {
            w.Int(9, key);
        }
    }

    private static SessionSnapshot ReadSnapshot(byte[] bytes)
    {
        var r = new WireReader(bytes);
        uint expiry = 0;
        Protocol.Packets.MqttWill? will = null;
        var subscriptions = new List<Subscription>();
        var queue = new List<QueuedMessage>();
        var inflight = new List<InflightSnapshot>();
        var inbound = new List<InboundQos2Snapshot>();
        ushort lastPacketId = 0;
        DateTimeOffset? detachedAt = null;
        var finished = new List<long>();
        while (r.Next(out var field))
        {
            switch (field)
            {
                case 1: expiry = checked((uint)r.UInt()); break;
                case 2: will = JournalFormats.ReadWill(r.Bytes()); break;
                case 3: subscriptions.Add(JournalFormats.ReadSubscription(r.Bytes())); break;
                case 4: queue.Add(JournalFormats.ReadQueued(r.Bytes())); break;
                case 5: inflight.Add(ReadInflight(r.Bytes())); break;
                case 6: inbound.Add(ReadInbound(r.Bytes())); break;
                case 7: lastPacketId = checked((ushort)r.UInt()); break;
                case 8: detachedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.Int()); break;
                case 9: finished.Add(r.Int()); break;
                default: r.Skip(); break;
            }
        }

        return new SessionSnapshot(expiry, will, subscriptions, queue, inflight, inbound, lastPacketId, detachedAt) { FinishedKeys = finished };
    }

    private static InflightSnapshot ReadInflight(ReadOnlySpan<byte> data)
    {
        var r = new WireReader(data);
        ushort id = 0;
        QueuedMessage? message = null;
        var released = false;
        while (r.Next(out var field))
        {
            switch (field)
            {
                case 1: id = checked((ushort)r.UInt()); break;
                case 2: message = JournalFormats.ReadQueued(r.Bytes()); break;
                case 3: released = r.Bool(); break;
                default: r.Skip(); break;
            }
        }

        return new InflightSnapshot(id, message ?? throw Missing("InflightSnapshot"), released);
    }

    private static InboundQos2Snapshot ReadInbound(ReadOnlySpan<byte> data)
    {
        var r = new WireReader(data);
        ushort id = 0;
        long key = 0;
        var routed = false;
        while (r.Next(out var field))
        {
            switch (field)
            {
                case 1: id = checked((ushort)r.UInt()); break;
                case 2: key = r.Int(); break;
                case 3: routed = r.Bool(); break;
                default: r.Skip(); break;
            }
        }

        return new InboundQos2Snapshot(id, key, routed);
    }

    private static Qos2Received ReadQos2Received(byte[] bytes)
    {
        var r = new WireReader(bytes);
        ushort id = 0;
        long key = 0;
        while (r.Next(out var field))
        {
            switch (field)
            {
                case 1: id = checked((ushort)r.UInt()); break;
                case 2: key = r.Int(); break;
                default: r.Skip(); break;
            }
        }

        return new Qos2Received(id, key);
    }

    /// <summary>Field 1 as an unsigned number, for the events that hold one (0 when absent, as written).</summary>
    private static ulong One(byte[] bytes) => ReadUInt(bytes, 1);

    private static ulong ReadUInt(byte[] bytes, int wanted)
    {
        var r = new WireReader(bytes);
        ulong value = 0;
        while (r.Next(out var field))
        {
            if (field == wanted)
            {
                value = r.UInt();
            }
            else
            {
                r.Skip();
            }
        }

        return value;
    }

    /// <summary>Packet ids as field 1 repeated, one entry each: an entry with one id is what the single-id events of
    /// the first version wrote, so those read as lists of one.</summary>
    private static void PacketIds(WireWriter w, IReadOnlyList<ushort> ids)
    {
        foreach (var id in ids)
        {
            w.Field(1, id);
        }
    }

    private static ushort[] ReadPacketIds(byte[] bytes)
    {
        var r = new WireReader(bytes);
        var ids = new List<ushort>();
        while (r.Next(out var field))
        {
            if (field == 1)
            {
                ids.Add((ushort)r.UInt());
            }
            else
            {
                r.Skip();
            }
        }

        return [.. ids];
    }

    private static long ReadInt(byte[] bytes, int wanted)
    {
        var r = new WireReader(bytes);
        long value = 0;
        while (r.Next(out var field))
        {
            if (field == wanted)
            {
                value = r.Int();
            }
            else
            {
                r.Skip();
            }
        }

        return value;
    }

    private static byte[]? Nested(byte[] bytes, int wanted) => Repeated(bytes, wanted).LastOrDefault();

    private static List<byte[]> Repeated(byte[] bytes, int wanted)
    {
        var r = new WireReader(bytes);
        var values = new List<byte[]>();
        while (r.Next(out var field))
        {
            if (field == wanted)
            {
                values.Add(r.Bytes().ToArray());
            }
            else
            {
                r.Skip();
            }
        }

        return values;
    }

    private static FormatException Missing(string what) => new($"a journaled {what} lacks a required field");
}
