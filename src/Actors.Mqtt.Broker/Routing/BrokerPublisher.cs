using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Routing;

/// <summary>
/// The one way an application message enters the broker, for a client's PUBLISH (from its connection, or from its
/// session for QoS 2) and for its will alike: a retained message goes to the retained store, and every message to the
/// topic subtree of its first level. Plain C#, owned by one actor, which gets the guardian's
/// <see cref="SubtreeResolved"/> answers and passes them to <see cref="Resolved"/>.
/// </summary>
/// <remarks>
/// The first message for a subtree goes through the guardian, which forwards it and then answers where the subtree
/// is; from then on messages go to the subtree directly. Those published while the answer is on its way wait here and
/// follow it, so that none overtakes the one the guardian still forwards [MQTT-4.6.0-6].
/// </remarks>
/// <param name="events">Told of each message that enters, not of one routed again; null when nobody listens.</param>
internal sealed class BrokerPublisher(IActorRef topicTree, IActorRef retainedStore, IActorRef owner, BrokerEvents? events = null)
{
    // Made at the first message: most sessions never publish. The first levels that hash to one subtree share its entry,
    // so there are at most TopicTreeGuardian.SubtreeCount.
    private Dictionary<int, IActorRef>? subtrees;
    private Dictionary<int, List<RoutePublish>>? resolving;

    /// <summary>
    /// How many <see cref="WriteConfirmed"/> the retained store sends for <paramref name="message"/> published with a
    /// confirmation: known before the topic tree counts the sessions.
    /// </summary>
    public static int RetainedWrites(PublishPacket message) => message.Retain ? 1 : 0;

    /// <param name="publisherClientId">For No Local; a will is published for its client.</param>
    /// <param name="confirm">Who waits for the durable writes: the retained store's and each durable session's.</param>
    /// <param name="messageKey">Non-zero for an inbound QoS 2 message, the same when it is routed again.</param>
    /// <param name="rerouted">Routed again after a restart: sessions that hold the key confirm without a second copy.</param>
    /// <param name="pace">On some QoS 0 messages, for the publisher to hear when every copy reached its connection.</param>
    public void Publish(PublishPacket message, string? publisherClientId, long receivedAt, Confirmation? confirm = null, long messageKey = 0, bool rerouted = false, PaceMark? pace = null)
    {
        if (events is not null && !rerouted && publisherClientId is not null)
        {
            events.Published(publisherClientId, message);
        }

        if (message.Retain)
        {
            retainedStore.Tell(new StoreRetained(message, receivedAt) { Confirm = confirm }, owner);
        }

        var route = new RoutePublish(message, publisherClientId, receivedAt) { Confirm = confirm, MessageKey = messageKey, Rerouted = rerouted, Pace = pace };
        var index = TopicTreeGuardian.SubtreeOf(message.Topic);
        if (subtrees is not null && subtrees.TryGetValue(index, out var subtree))
        {
            subtree.Tell(route, owner);
            return;
        }

        if (resolving is not null && resolving.TryGetValue(index, out var waiting))
        {
            waiting.Add(route);
            return;
        }

        topicTree.Tell(route, owner);
        (resolving ??= [])[index] = [];
        topicTree.Tell(new ResolveSubtree(index), owner);
    }

    /// <summary>The guardian's answer: what waited for it goes to the subtree now, in order.</summary>
    public void Resolved(SubtreeResolved resolved)
    {
        (subtrees ??= [])[resolved.Index] = resolved.Subtree;
        if (resolving is not null && resolving.Remove(resolved.Index, out var waited))
        {
            foreach (var route in waited)
            {
                resolved.Subtree.Tell(route, owner);
            }
        }
    }

    /// <summary>
    /// For an owner that stops: what still waits for an answer goes the way the first message of its subtree went,
    /// through the guardian, in order.
    /// </summary>
    public void SendWaiting()
    {
        if (resolving is null)
        {
            return;
        }

        foreach (var waiting in resolving.Values)
        {
            foreach (var route in waiting)
            {
                topicTree.Tell(route, owner);
            }
        }

        resolving = null;
    }
}
