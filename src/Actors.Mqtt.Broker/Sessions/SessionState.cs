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
    private readonly Dictionary<string, Subscription> subscriptions = new(StringComparer.Ordinal);
    private readonly LinkedList<QueuedMessage> queue = new();
    private readonly Dictionary<ushort, InflightMessage> inflight = [];
    private readonly List<ushort> inflightOrder = [];
    private readonly HashSet<ushort> inboundQos2 = [];
    private ushort lastPacketId;

    /// <summary>True once a session began and has not ended: what CONNACK calls Session Present.</summary>
    public bool Exists { get; private set; }

    public uint ExpiryInterval { get; private set; }

    public MqttWill? Will { get; private set; }

    public IReadOnlyDictionary<string, Subscription> Subscriptions => subscriptions;

    public int QueuedCount => queue.Count;

    public QueuedMessage? NextQueued => queue.First?.Value;

    public int InflightCount => inflight.Count;

    public bool HoldsInboundQos2(ushort packetId) => inboundQos2.Contains(packetId);

    /// <summary>Whether a subscription the session holds now matches the topic.</summary>
    public bool AnySubscriptionMatches(string topic)
    {
        foreach (var subscription in subscriptions.Values)
        {
            if (TopicMatcher.Matches(subscription.Filter.Filter, topic))
            {
                return true;
            }
        }

        return false;
    }

    public InflightMessage? Inflight(ushort packetId) => inflight.GetValueOrDefault(packetId);

    /// <summary>In-flight messages in the order they were first sent, for redelivery on reconnect [MQTT-4.6.0-1].</summary>
    public IEnumerable<InflightMessage> InflightInOrder() => inflightOrder.Select(id => inflight[id]);

    /// <summary>The next packet id not in use by an in-flight message, after the last one given out.</summary>
    public ushort NextFreePacketId()
    {
        var id = lastPacketId;
        for (var i = 0; i < ushort.MaxValue; i++)
        {
            id = id == ushort.MaxValue ? (ushort)1 : (ushort)(id + 1);
            if (!inflight.ContainsKey(id))
            {
                return id;
            }
        }

        throw new InvalidOperationException("all 65535 packet identifiers are in flight");
    }

    public void Apply(ISessionEvent e)
    {
        switch (e)
        {
            case SessionStarted started:
                subscriptions.Clear();
                queue.Clear();
                inflight.Clear();
                inflightOrder.Clear();
                inboundQos2.Clear();
                Will = null;
                ExpiryInterval = started.ExpiryInterval;
                Exists = true;
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
                    subscriptions[s.FilterText] = s;
                }

                break;
            case Unsubscribed unsubscribed:
                foreach (var text in unsubscribed.FilterTexts)
                {
                    subscriptions.Remove(text);
                }

                break;
            case MessageQueued queued:
                queue.AddLast(queued.Message);
                break;
            case MessageDropped:
                queue.RemoveFirst();
                break;
            case MessageSent sent:
                var message = queue.First!.Value;
                queue.RemoveFirst();
                inflight[sent.PacketId] = new InflightMessage(sent.PacketId, message, Released: false);
                inflightOrder.Add(sent.PacketId);
                lastPacketId = sent.PacketId;
                break;
            case MessageReceived received:
                inflight[received.PacketId] = inflight[received.PacketId] with { Released = true };
                break;
            case MessageAcknowledged acknowledged:
                inflight.Remove(acknowledged.PacketId);
                inflightOrder.Remove(acknowledged.PacketId);
                break;
            case Qos2Received received:
                inboundQos2.Add(received.PacketId);
                break;
            case Qos2Released released:
                inboundQos2.Remove(released.PacketId);
                break;
            default:
                throw new ArgumentException($"unknown session event {e.GetType().Name}", nameof(e));
        }
    }
}

/// <summary>A message sent under <paramref name="PacketId"/> and not yet done; <paramref name="Released"/> once PUBREC came.</summary>
internal sealed record InflightMessage(ushort PacketId, QueuedMessage Message, bool Released);
