using System.Collections.ObjectModel;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Topics;

namespace Actors.Mqtt.Broker.Sessions;

/// <summary>
/// The state of one session, changed only by applying <see cref="ISessionEvent"/>s, the same way live and on
/// recovery. Plain C#: the actor decides, this class remembers.
/// </summary>
internal sealed class SessionState
{
    // Each collection is made when its first entry comes and dropped when the session starts again: a clean session
    // that only publishes, the common device, never holds any, and these are a few hundred bytes of every connection.
    private Dictionary<string, Subscription>? subscriptions;
    private LinkedList<QueuedMessage>? queue;
    private Dictionary<ushort, InflightMessage>? inflight;
    private List<ushort>? inflightOrder;
    private Dictionary<ushort, InboundQos2Snapshot>? inboundQos2;
    private ushort lastPacketId;

    // Keys of the inbound QoS 2 messages this session finished giving its client, oldest first: the same message routed
    // again (its publisher's session restarted before it journaled the route) must not reach the client twice, even
    // after the client completed it. Bounded: only a reroute that comes later than this many such messages gets through.
    private Queue<long>? finishedOrder;
    private HashSet<long>? finished;

    /// <summary>How many keys of finished messages a session keeps, for <see cref="Finished"/>.</summary>
    public const int FinishedKeysKept = 1024;

    /// <summary>True once a session began and has not ended: what CONNACK calls Session Present.</summary>
    public bool Exists { get; private set; }

    public uint ExpiryInterval { get; private set; }

    public MqttWill? Will { get; private set; }

    public IReadOnlyDictionary<string, Subscription> Subscriptions =>
        (IReadOnlyDictionary<string, Subscription>?)subscriptions ?? ReadOnlyDictionary<string, Subscription>.Empty;

    public int QueuedCount => queue?.Count ?? 0;

    /// <summary>Payload bytes of the queued messages, for <c>max-queued-bytes</c>.</summary>
    public long QueuedBytes { get; private set; }

    public QueuedMessage? NextQueued => queue?.First?.Value;

    public int InflightCount => inflight?.Count ?? 0;

    /// <summary>When the last connection ended, if the session has been offline since; null while attached.</summary>
    public DateTimeOffset? DetachedAt { get; private set; }

    public bool HoldsInboundQos2(ushort packetId) => inboundQos2?.ContainsKey(packetId) ?? false;

    public InboundQos2Snapshot? InboundQos2(ushort packetId) => inboundQos2?.GetValueOrDefault(packetId);

    /// <summary>Whether a message routed with this key is queued or in flight here already.</summary>
    public bool HoldsMessage(long messageKey)
    {
        for (var node = queue?.First; node is not null; node = node.Next)
        {
            if (node.Value.Publish.MessageKey == messageKey)
            {
                return true;
            }
        }

        foreach (var flying in inflight?.Values ?? Enumerable.Empty<InflightMessage>())
        {
            if (flying.Message.Publish.MessageKey == messageKey)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a message routed with this key went to the client and is done there (one of the last
    /// <see cref="FinishedKeysKept"/>).</summary>
    public bool Finished(long messageKey) => finished?.Contains(messageKey) ?? false;

    /// <summary>A QoS 0 copy went to the client: nothing is journaled for it, so this lasts until the broker stops.</summary>
    public void SentOnce(long messageKey) => Finish(messageKey);

    /// <summary>Whether a subscription the session holds now matches the topic.</summary>
    public bool AnySubscriptionMatches(string topic)
    {
        foreach (var subscription in Subscriptions.Values)
        {
            if (TopicMatcher.Matches(subscription.Filter.Filter, topic))
            {
                return true;
            }
        }

        return false;
    }

    public InflightMessage? Inflight(ushort packetId) => inflight?.GetValueOrDefault(packetId);

    /// <summary>In-flight messages in the order they were first sent, for redelivery on reconnect [MQTT-4.6.0-1].</summary>
    public IEnumerable<InflightMessage> InflightInOrder() => inflightOrder?.Select(id => inflight![id]) ?? [];

    /// <summary>
    /// The first queued messages that may go to the client now, at most <paramref name="max"/>, up to the first that
    /// <paramref name="expired"/> says may not.
    /// </summary>
    public List<QueuedMessage> SendableHead(int max, Func<QueuedMessage, bool> expired)
    {
        var head = new List<QueuedMessage>(Math.Min(max, QueuedCount));
        for (var node = queue?.First; node is not null && head.Count < max && !expired(node.Value); node = node.Next)
        {
            head.Add(node.Value);
        }

        return head;
    }

    /// <summary>The next <paramref name="count"/> packet ids not in use by in-flight messages, after the last one given out.</summary>
    public ushort[] NextFreePacketIds(int count)
    {
        if (InflightCount + count > ushort.MaxValue)
        {
            throw new InvalidOperationException($"{count} more packet identifiers do not fit beside {InflightCount} in flight");
        }

        var ids = new ushort[count];
        var id = lastPacketId;
        for (var i = 0; i < count; i++)
        {
            do
            {
                id = id == ushort.MaxValue ? (ushort)1 : (ushort)(id + 1);
            }
            while (inflight?.ContainsKey(id) ?? false);
            ids[i] = id;
        }

        return ids;
    }

    public void Apply(ISessionEvent e)
    {
        switch (e)
        {
            case SessionStarted started:
                subscriptions = null;
                queue = null;
                QueuedBytes = 0;
                inflight = null;
                inflightOrder = null;
                inboundQos2 = null;
                finished = null;
                finishedOrder = null;
                Will = null;
                ExpiryInterval = started.ExpiryInterval;
                DetachedAt = null;
                Exists = true;
                break;
            case SessionResumed:
                DetachedAt = null;
                break;
            case SessionDetached detached:
                DetachedAt = detached.At;
                break;
            case ExpiryChanged changed:
                ExpiryInterval = changed.ExpiryInterval;
                break;
            case WillChanged will:
                Will = will.Will;
                break;
            case Subscribed subscribed:
                foreach (var s in subscribed.Subscriptions)
                {
                    Subscribe(s);
                }

                break;
            case Unsubscribed unsubscribed:
                foreach (var text in unsubscribed.FilterTexts)
                {
                    subscriptions?.Remove(text);
                }

                break;
            case MessageQueued { SentAs: 0 } queued:
                Queue(queued.Message);
                break;
            case MessageQueued queued:
                Fly(queued.SentAs, queued.Message);
                break;
            case MessagesQueued batch:
                foreach (var queued in batch.Messages)
                {
                    Apply(queued);
                }

                break;
            case MessageDropped:
                Dequeue();
                break;
            case MessageSent sent:
                foreach (var id in sent.PacketIds)
                {
                    Fly(id, Dequeue());
                }

                break;
            case MessageReceived received:
                inflight![received.PacketId] = inflight[received.PacketId] with { Released = true };
                break;
            case MessageAcknowledged acknowledged:
                foreach (var id in acknowledged.PacketIds)
                {
                    if (inflight is not null && inflight.Remove(id, out var done))
                    {
                        Finish(done.Message.Publish.MessageKey);
                    }

                    inflightOrder?.Remove(id);
                }

                break;
            case Qos2Received received:
                (inboundQos2 ??= [])[received.PacketId] = new InboundQos2Snapshot(received.PacketId, received.MessageKey, Routed: false, received.Digest);
                break;
            case Qos2Routed routed when inboundQos2 is not null && inboundQos2.TryGetValue(routed.PacketId, out var held):
                inboundQos2[routed.PacketId] = held with { Routed = true };
                break;
            case Qos2Routed:
                break;
            case Qos2Released released:
                inboundQos2?.Remove(released.PacketId);
                break;
            default:
                throw new ArgumentException($"unknown session event {e.GetType().Name}", nameof(e));
        }
    }

    private void Subscribe(Subscription subscription) =>
        (subscriptions ??= new(StringComparer.Ordinal))[subscription.FilterText] = subscription;

    private void Queue(QueuedMessage message)
    {
        (queue ??= new()).AddLast(message);
        QueuedBytes += message.Publish.Message.Payload.Length;
    }

    private QueuedMessage Dequeue()
    {
        var message = queue!.First!.Value;
        QueuedBytes -= message.Publish.Message.Payload.Length;
        queue.RemoveFirst();
        return message;
    }

    private void Finish(long messageKey)
    {
        if (messageKey == 0 || !(finished ??= []).Add(messageKey))
        {
            return;
        }

        (finishedOrder ??= new()).Enqueue(messageKey);
        if (finishedOrder.Count > FinishedKeysKept)
        {
            finished.Remove(finishedOrder.Dequeue());
        }
    }

    private void Fly(ushort packetId, QueuedMessage message, bool released = false)
    {
        (inflight ??= [])[packetId] = new InflightMessage(packetId, message, released);
        (inflightOrder ??= []).Add(packetId);
        lastPacketId = packetId;
    }

    public SessionSnapshot ToSnapshot() => new(
        ExpiryInterval,
        Will,
        Subscriptions.Values.ToList(),
        queue?.ToList() ?? [],
        InflightInOrder().Select(f => new InflightSnapshot(f.PacketId, f.Message, f.Released)).ToList(),
        inboundQos2?.Values.ToList() ?? [],
        lastPacketId,
        DetachedAt)
    {
        FinishedKeys = finishedOrder?.ToList() ?? [],
    };

    /// <summary>Replaces the whole state with a snapshot's: a session with a snapshot exists.</summary>
    public void Restore(SessionSnapshot snapshot)
    {
        Apply(new SessionStarted(snapshot.ExpiryInterval));
        Will = snapshot.Will;
        foreach (var s in snapshot.Subscriptions)
        {
            Subscribe(s);
        }

        foreach (var q in snapshot.Queue)
        {
            Queue(q);
        }

        foreach (var f in snapshot.Inflight)
        {
            Fly(f.PacketId, f.Message, f.Released);
        }

        foreach (var i in snapshot.InboundQos2)
        {
            (inboundQos2 ??= [])[i.PacketId] = i;
        }

        foreach (var key in snapshot.FinishedKeys)
        {
            Finish(key);
        }

        lastPacketId = snapshot.LastPacketId;
        DetachedAt = snapshot.DetachedAt;
    }
}

/// <summary>A message sent under <paramref name="PacketId"/> and not yet done; <paramref name="Released"/> once PUBREC came.</summary>
internal sealed record InflightMessage(ushort PacketId, QueuedMessage Message, bool Released);
