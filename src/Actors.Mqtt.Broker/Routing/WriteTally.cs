namespace Actors.Mqtt.Broker.Routing;

/// <summary>
/// The durable writes one routed message waits for before its publisher is acknowledged: those known up front (the
/// retained store's), the topic tree's count of durable sessions (<see cref="RouteCounted"/>, or carried by the first
/// <see cref="WriteConfirmed"/>), and one confirmation per write. Plain C#; the connection keeps one per QoS 1 message
/// (<c>PendingAcks</c>), the publisher's session one per inbound QoS 2 message.
/// </summary>
internal sealed class WriteTally(int knownWrites, long startedAt)
{
    private int writes = knownWrites;
    private bool counted;
    private int confirmed;

    /// <summary>When routing began, in the broker's monotonic milliseconds.</summary>
    public long StartedAt { get; } = startedAt;

    /// <summary>A write failed, or not every write was confirmed in time.</summary>
    public bool Failed { get; private set; }

    /// <summary>No subscription matched: an MQTT 5 publisher is told 0x10 No matching subscribers.</summary>
    public bool NoSubscribers { get; private set; }

    public bool Done => counted && confirmed >= writes;

    /// <summary>Whether it waits, or waited, for at least one durable write: the retained store's or a durable session's.</summary>
    public bool Durable => writes > 0;

    /// <summary>The topic tree's count, sent alone only when no durable session is to write the message.</summary>
    public void Count(int routedWrites, bool matched = true)
    {
        writes += routedWrites;
        counted = true;
        NoSubscribers = !matched;
    }

    /// <summary>One write is done; <paramref name="routedWrites"/>, when not 0, is the topic tree's count that came with it.</summary>
    public void Confirm(bool stored, int routedWrites = 0)
    {
        // Every session that writes carries the same count: only the first to arrive adds it.
        if (routedWrites > 0 && !counted)
        {
            writes += routedWrites;
            counted = true;
        }

        confirmed++;
        Failed |= !stored;
    }

    /// <summary>Gives up, as failed, when not done after <paramref name="limit"/> milliseconds; true when it gave up now.</summary>
    public bool Expire(long now, long limit)
    {
        if (Done || now - StartedAt <= limit)
        {
            return false;
        }

        Failed = true;
        counted = true;
        confirmed = writes;
        return true;
    }
}
