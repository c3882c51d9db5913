using Actors.Mqtt.Broker.Clustering;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Routing;

/// <summary>A session's subscriptions to add to the topic tree (a replacement when the filter text is the same).</summary>
/// <param name="Durable">The session journals what it queues, so a publisher's acknowledgement waits for its write.</param>
/// <param name="Connected">The session has a connection now (see <see cref="SessionPresence"/>).</param>
public sealed record AddSubscriptions(IActorRef Session, IReadOnlyList<Subscription> Subscriptions, bool Durable = false, bool Connected = true) : IWireMessage
{
    /// <summary>Non-zero when the session waits (to send SUBACK) until every node's topic tree holds these
    /// subscriptions: the guardian then answers <see cref="SubscriptionsHeld"/> with it.</summary>
    public long AwaitId { get; init; }
}

/// <summary>
/// Subscriptions of sleeping durable sessions, as the session index holds them, for a topic tree that starts: reached
/// through the shard region, which wakes a session when a message comes for it. A subtree that already knows a client
/// (its session woke, or another node gave its subscriptions) keeps what it knows. Answered with
/// <see cref="SubscriptionsRestored"/> once every subtree has them.
/// </summary>
public sealed record RestoreSubscriptions(IReadOnlyList<IReadOnlyList<Subscription>> Sessions);

/// <summary>Every subtree holds the subscriptions of a <see cref="RestoreSubscriptions"/>.</summary>
public sealed record SubscriptionsRestored
{
    public static readonly SubscriptionsRestored Instance = new();
}

/// <summary>The topic tree of every node holds the subscriptions of the <see cref="AddSubscriptions"/> with this id (or
/// a node did not answer in time, which the guardian logged).</summary>
public sealed record SubscriptionsHeld(long AwaitId);

/// <summary>
/// A change to the topic tree (<see cref="AddSubscriptions"/>, <see cref="RemoveSubscriptions"/>,
/// <see cref="RemoveClient"/> or <see cref="SessionPresence"/>) that a session told the guardian of another node, which
/// passes it on to every other node's guardian: each node matches every publication through it locally.
/// </summary>
/// <param name="AwaitId">Non-zero when the sending guardian waits for <see cref="PeerChangeHeld"/>.</param>
public sealed record PeerChange(object Change, long AwaitId = 0) : IWireMessage;

/// <summary>The <see cref="PeerChange"/> with this id is in every subtree of the node that answers.</summary>
public sealed record PeerChangeHeld(long AwaitId) : IWireMessage;

/// <summary>
/// A topic tree guardian that started greets those of the other members, and each answers with
/// <see cref="PeerWelcome"/>: from then on each passes the other the changes its own sessions make, after the
/// subscriptions of its own sessions so far.
/// </summary>
public sealed record PeerHello : IWireMessage
{
    public static readonly PeerHello Instance = new();

    private PeerHello()
    {
    }
}

/// <summary>Asks the guardian to answer <see cref="PeersReady"/> once every other member that is up has given it its
/// sessions' subscriptions: a node serves clients only then, so that it never routes past a subscriber.</summary>
public sealed record AwaitPeers
{
    public static readonly AwaitPeers Instance = new();

    private AwaitPeers()
    {
    }
}

public sealed record PeersReady
{
    public static readonly PeersReady Instance = new();

    private PeersReady()
    {
    }
}

public sealed record PeerWelcome : IWireMessage
{
    public static readonly PeerWelcome Instance = new();

    private PeerWelcome()
    {
    }
}

/// <summary>A session with shared subscriptions gained or lost its connection: its groups pick connected members first.</summary>
public sealed record SessionPresence(string ClientId, bool Connected) : IWireMessage;

/// <summary>Subscriptions a session gave up, by their filter text.</summary>
public sealed record RemoveSubscriptions(string ClientId, IReadOnlyList<string> FilterTexts) : IWireMessage;

/// <summary>Every subscription of a session that ended.</summary>
public sealed record RemoveClient(string ClientId) : IWireMessage;

/// <summary>An application message to deliver to every matching subscription.</summary>
/// <param name="PublisherClientId">Who sent it, for No Local; null for messages the broker makes (wills are published for their client).</param>
public sealed record RoutePublish(PublishPacket Message, string? PublisherClientId, long ReceivedAt)
{
    /// <summary>Who waits to acknowledge this message to its publisher: the topic tree tells it how many writes to
    /// wait for, and each durable session that matched confirms its own.</summary>
    public Confirmation? Confirm { get; init; }

    /// <summary>Non-zero for an inbound QoS 2 message: the same message routed again after a restart has the same key.</summary>
    public long MessageKey { get; init; }

    /// <summary>Routed again after a restart: a session that holds a message with this key already does not queue it.</summary>
    public bool Rerouted { get; init; }

    /// <summary>On some QoS 0 messages: the publisher waits to hear that every copy reached its connection.</summary>
    public PaceMark? Pace { get; init; }
}

/// <summary>
/// A QoS 0 message whose publisher waits for an answer (<see cref="Paced"/>) from each connection that gets a copy; the
/// topic tree fills in how many copies it made.
/// </summary>
public sealed record PaceMark(IActorRef Publisher, long Seq, int Copies = 0)
{
    /// <summary>Sends this copy's answer.</summary>
    public void Answer() => Publisher.Tell(new Paced(Seq, Copies));
}

/// <summary>One copy of a marked message reached its connection (or was dropped on the way), of <paramref name="Copies"/>.</summary>
public sealed record Paced(long Seq, int Copies) : IDeadLetterSuppression, IWireMessage;

/// <summary>Where to report the writes one routed message needs: <paramref name="Id"/> is the waiter's own number for it.</summary>
public sealed record Confirmation(IActorRef To, long Id);

/// <summary>The topic tree matched the message and no durable session is to write it: sent only then, since each
/// session's <see cref="WriteConfirmed"/> carries the count otherwise.</summary>
/// <param name="Matched">Some subscription matched; an MQTT 5 publisher is told 0x10 No matching subscribers otherwise.</param>
public sealed record RouteCounted(long Id, int Writes, bool Matched = true) : IWireMessage;

/// <summary>One write a message needed is done (<paramref name="Stored"/>) or failed.</summary>
/// <param name="RoutedWrites">From a session: how many durable sessions the topic tree counted for the message, so that
/// the waiter learns the count with the first confirmation instead of from a message of its own; 0 from the retained
/// store.</param>
public sealed record WriteConfirmed(long Id, bool Stored, int RoutedWrites = 0) : IWireMessage;

/// <summary>
/// Asks the topic tree guardian for the actor of one subtree (<see cref="TopicTreeGuardian.SubtreeOf"/>), to send to it
/// directly from then on.
/// </summary>
public sealed record ResolveSubtree(int Index);

/// <summary>The guardian's answer to <see cref="ResolveSubtree"/>; the asker may have stopped meanwhile (a session that
/// published its will as it ended), which is not worth a log line.</summary>
public sealed record SubtreeResolved(int Index, IActorRef Subtree) : IDeadLetterSuppression;

/// <summary>One matching message for a session, with what its subscriptions decided.</summary>
/// <param name="MustConfirm">The tree counted this session among the writes the publisher waits for.</param>
/// <param name="RoutedWrites">When it must confirm: how many sessions the tree counted, for its <see cref="WriteConfirmed"/>.</param>
public sealed record DeliverMessage(RoutePublish Publish, Delivery Delivery, bool MustConfirm = false, int RoutedWrites = 0) : IWireMessage
{
    /// <summary>The publication's mark with the count of copies, to pass on to the connection or answer here.</summary>
    public PaceMark? Pace { get; init; }

    /// <summary>For a QoS 1 or 2 copy picked for a shared group: the subtree to hand it back to when this member cannot
    /// take it, so that another member can.</summary>
    public IActorRef? SharedBy { get; init; }

    /// <summary>The members of the group that could not take this copy before.</summary>
    public IReadOnlyList<string> RefusedBy { get; init; } = [];
}

/// <summary>A member of a shared group could not take a copy (its queue is full, or it has no connection and keeps no
/// queue): the subtree picks another member, and acknowledges the copy as dropped only when none is left.</summary>
public sealed record SharedDeliveryRefused(DeliverMessage Message) : IWireMessage;

/// <summary>A PUBLISH with RETAIN: store it, or clear the topic when the payload is empty.</summary>
public sealed record StoreRetained(PublishPacket Message, long ReceivedAt) : IWireMessage
{
    /// <summary>Who waits for the store's write before acknowledging the message to its publisher.</summary>
    public Confirmation? Confirm { get; init; }
}

/// <summary>Asks the retained store for what matches the filters of new subscriptions.</summary>
public sealed record QueryRetained(IReadOnlyList<Subscription> Subscriptions) : IWireMessage;

/// <summary>The retained messages that match one subscription.</summary>
public sealed record RetainedMatches(Subscription Subscription, IReadOnlyList<RoutePublish> Messages) : IWireMessage;

/// <summary>The session shard region, given to the topic tree once it started, to reach sessions whose actor stopped.</summary>
public sealed record UseSessionRegion(IActorRef Region);

/// <summary>Asks a subtree how much it holds, so that tests can see its state follow subscriptions, not topics.</summary>
internal sealed record CountSubtree
{
    public static readonly CountSubtree Instance = new();
}

/// <param name="Nodes">Nodes of its trie, the root included.</param>
/// <param name="Sessions">Clients it keeps a session reference for.</param>
internal sealed record SubtreeCounted(int Nodes, int Subscriptions, int Sessions);
