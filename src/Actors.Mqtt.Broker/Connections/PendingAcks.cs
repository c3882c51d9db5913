using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Broker.Connections;

/// <summary>
/// The PUBACKs and PUBRECs a connection owes its client, in the order the PUBLISH packets arrived [MQTT-4.6.0-2],
/// [MQTT-4.6.0-3]. Each one waits until every write its message needs is confirmed: a QoS 1 message waits for the
/// topic tree's count of durable sessions and for each of their confirmations (and the retained store's); a QoS 2
/// message waits for its session's answer. Plain C#, owned by one connection actor.
/// </summary>
internal sealed class PendingAcks
{
    // Made at the first QoS 1 or 2 PUBLISH: a connection that only subscribes or publishes QoS 0 holds neither.
    private Queue<Entry>? order;
    private Dictionary<long, Entry>? byId;
    private long lastId;

    public int Count => order?.Count ?? 0;

    /// <summary>A QoS 1 message: <paramref name="writes"/> confirmations are known to be due before the tree's count.</summary>
    /// <param name="now">When it was read, in the broker's monotonic milliseconds (its time limit counts from there).</param>
    /// <param name="readAt">The same moment as a timestamp of the broker's clock, for the acknowledgement's latency.</param>
    public long AddPubAck(ushort packetId, int writes, long now, long readAt)
    {
        var entry = new Entry(++lastId, packetId, PacketType.PubAck, new WriteTally(writes, now), readAt);
        (order ??= new()).Enqueue(entry);
        (byId ??= [])[entry.Id] = entry;
        return entry.Id;
    }

    /// <summary>A QoS 2 message: done when its session answers for the packet id, its one write.</summary>
    public void AddPubRec(ushort packetId, long now, long readAt) =>
        (order ??= new()).Enqueue(new Entry(++lastId, packetId, PacketType.PubRec, new WriteTally(knownWrites: 1, now), readAt));

    /// <summary>An acknowledgement decided at once (a refusal) that still waits for its turn behind earlier ones.</summary>
    public void AddDecided(ushort packetId, PacketType kind, ReasonCode code) =>
        (order ??= new()).Enqueue(new Entry(++lastId, packetId, kind, Tally: null, ReadAt: 0) { Decided = code });

    /// <summary>Whether a PUBREC for this packet id is still owed (a retried PUBLISH then needs nothing new).</summary>
    public bool OwesPubRec(ushort packetId) => order is not null && order.Any(e => e.Kind == PacketType.PubRec && e.PacketId == packetId && !e.Done);

    /// <summary>The topic tree's count of writes; <paramref name="matched"/> false when no subscription matched at all.</summary>
    public void Counted(long id, int writes, bool matched = true)
    {
        if (byId is not null && byId.TryGetValue(id, out var entry))
        {
            entry.Tally!.Count(writes, matched);
        }
    }

    /// <summary>Notes a report of a routed PUBLISH's tally (<see cref="RouteCounted"/>, <see cref="WriteConfirmed"/>): the
    /// two messages every owner of pending acknowledgements receives.</summary>
    public void Note(object report)
    {
        switch (report)
        {
            case RouteCounted counted:
                Counted(counted.Id, counted.Writes, counted.Matched);
                break;
            case WriteConfirmed confirmed:
                Confirmed(confirmed.Id, confirmed.Stored, confirmed.RoutedWrites);
                break;
            default:
                throw new ArgumentException($"{report.GetType().Name} is not a tally's report", nameof(report));
        }
    }

    /// <summary>One write is done; <paramref name="routedWrites"/>, when not 0, is the topic tree's count that came with it.</summary>
    public void Confirmed(long id, bool stored, int routedWrites = 0)
    {
        if (byId is not null && byId.TryGetValue(id, out var entry))
        {
            entry.Tally!.Confirm(stored, routedWrites);
        }
    }

    /// <param name="durable">Whether the session's route waited for a durable write (<see cref="WriteTally.Durable"/>).</param>
    public void Qos2Done(ushort packetId, ReasonCode code, bool durable)
    {
        foreach (var entry in order ?? [])
        {
            if (entry.Kind == PacketType.PubRec && entry.PacketId == packetId && !entry.Done)
            {
                // The session counted and confirmed the writes itself; its answer is the one write this entry waits for.
                entry.Tally!.Count(0, matched: code != ReasonCode.NoMatchingSubscribers);
                entry.Tally.Confirm(stored: !ReasonCodes.IsFailure(code));
                entry.RouteDurable = durable;
                return;
            }
        }
    }

    /// <summary>Forgets every entry, for an owner whose publisher went away and will send its messages again; ids go on
    /// from the last one, so a confirmation still on its way for a forgotten entry names none of the next ones.</summary>
    public void Clear()
    {
        order = null;
        byId = null;
    }

    /// <summary>Fails, oldest first, the entries that waited longer than <paramref name="limit"/> milliseconds, letting
    /// <paramref name="sendReady"/> answer each before the next is looked at (a failed one at the head is ready at once).</summary>
    /// <returns>Whether nothing waits any more, so that the owner's check can stop.</returns>
    public bool ExpireOverdue(long now, long limit, Action sendReady)
    {
        ArgumentNullException.ThrowIfNull(sendReady);
        while (order is not null && order.TryPeek(out var head) && head.Tally is { } tally && tally.Expire(now, limit))
        {
            sendReady();
        }

        return Count == 0;
    }

    /// <summary>The next acknowledgement that may go out now: the oldest, once everything it waits for arrived.
    /// <c>DurableReadAt</c> is when its PUBLISH was read if it waited for a durable write, else null.</summary>
    public bool TryTakeReady(out (PacketType Kind, ushort PacketId, bool Failed, ReasonCode? Decided, bool NoSubscribers, long? DurableReadAt) ready)
    {
        if (order is not null && order.TryPeek(out var head) && head.Done)
        {
            order.Dequeue();
            byId?.Remove(head.Id);
            ready = (head.Kind, head.PacketId, head.Tally?.Failed ?? false, head.Decided, head.Tally?.NoSubscribers ?? false, head.Durable ? head.ReadAt : null);
            return true;
        }

        ready = default;
        return false;
    }

    /// <param name="Tally">The writes it waits for; null for an acknowledgement decided at once.</param>
    /// <param name="ReadAt">When its PUBLISH was read, as a timestamp of the broker's clock.</param>
    private sealed record Entry(long Id, ushort PacketId, PacketType Kind, WriteTally? Tally, long ReadAt)
    {
        public ReasonCode? Decided { get; init; }

        /// <summary>A PUBREC's: whether its session's route waited for a durable write; its own tally holds only the
        /// session's answer.</summary>
        public bool RouteDurable { get; set; }

        public bool Done => Tally is null || Tally.Done;

        public bool Durable => Kind == PacketType.PubAck ? Tally?.Durable ?? false : RouteDurable;
    }
}
