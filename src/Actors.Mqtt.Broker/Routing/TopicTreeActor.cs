using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Routing;

/// <summary>
/// The subscriptions of the first topic levels that hash to one subtree (plus the root wildcards), and the matching of
/// every publication to those levels: one <see cref="DeliverMessage"/> per matching session.
/// </summary>
public sealed class TopicTreeActor : ReceiveActor
{
    private readonly SubscriptionTrie trie;
    private readonly Dictionary<string, (IActorRef? Session, bool Durable)> sessions = new(StringComparer.Ordinal);
    // The client id of each session actor watched, for its Terminated: sessions sleep and wake all day in a fleet.
    private readonly Dictionary<IActorRef, string> clientOf = [];
    private IActorRef? sessionRegion;
    private readonly List<Delivery> deliveries = [];
    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly TimeProvider time;
    private long? lastDropLog;
    private long droppedSinceLastLog;

    public TopicTreeActor(ISharedSubscriptionPicker picker, TimeProvider time)
    {
        this.time = time;
        trie = new SubscriptionTrie(picker);
        Receive<AddSubscriptions>(add =>
        {
            foreach (var s in add.Subscriptions)
            {
                trie.Add(s);
                if (sessions.TryGetValue(s.ClientId, out var known) && known.Session is { } old && !old.Equals(add.Session))
                {
                    clientOf.Remove(old);
                }

                sessions[s.ClientId] = (add.Session, add.Durable);
                clientOf[add.Session] = s.ClientId;
                trie.SetConnected(s.ClientId, add.Connected);
            }

            Context.Watch(add.Session);
        });
        Receive<RestoreSubscriptions>(restore =>
        {
            foreach (var session in restore.Sessions)
            {
                if (session is [var first, ..] && !sessions.ContainsKey(first.ClientId))
                {
                    foreach (var s in session)
                    {
                        trie.Add(s);
                    }

                    sessions[first.ClientId] = (null, true);
                    trie.SetConnected(first.ClientId, false);
                }
            }
        });
        Receive<SessionPresence>(presence => trie.SetConnected(presence.ClientId, presence.Connected));
        Receive<SharedDeliveryRefused>(refused => PickAnother(refused.Message));
        Receive<UseSessionRegion>(use => sessionRegion = use.Region);
        Receive<Terminated>(OnSessionStopped);
        Receive<RemoveSubscriptions>(remove =>
        {
            foreach (var text in remove.FilterTexts)
            {
                trie.Remove(remove.ClientId, text);
            }

            if (!trie.Holds(remove.ClientId))
            {
                Forget(remove.ClientId);
            }
        });
        Receive<RemoveClient>(remove =>
        {
            trie.RemoveClient(remove.ClientId);
            Forget(remove.ClientId);
        });
        Receive<RoutePublish>(Route);
        Receive<CountSubtree>(_ => Sender.Tell(new SubtreeCounted(trie.NodeCount, trie.Count, sessions.Count)));
    }

    /// <summary>
    /// A session actor that stopped while it still has subscriptions here (it sleeps, its journal failed, or its node
    /// left) is reached through the shard region from now on, which starts it again; it then announces its new address.
    /// </summary>
    private void OnSessionStopped(Terminated terminated)
    {
        if (clientOf.Remove(terminated.ActorRef, out var clientId)
            && sessions.TryGetValue(clientId, out var target)
            && terminated.ActorRef.Equals(target.Session))
        {
            sessions[clientId] = (null, target.Durable);

            // Started again, it recovers without a connection and says so when it adds its subscriptions back.
            trie.SetConnected(clientId, false);
        }
    }

    /// <summary>
    /// Drops the reference to a session with no subscription left here: every subtree hears of every removal, and the
    /// ones it never had a subscription in have nothing to drop.
    /// </summary>
    private void Forget(string clientId)
    {
        if (sessions.Remove(clientId, out var target) && target.Session is { } session)
        {
            Context.Unwatch(session);
            clientOf.Remove(session);
        }
    }

    public static Props Props(ISharedSubscriptionPicker picker, TimeProvider time) => Akka.Actor.Props.Create(() => new TopicTreeActor(picker, time));

    /// <summary>
    /// Sends the message to every matching session. When its publisher waits for an acknowledgement, the sessions that
    /// journal a QoS 1 or 2 copy are counted first and each is asked to confirm its write with that count; only when
    /// none is to write does the count go to the waiter on its own.
    /// </summary>
    private void Route(RoutePublish publish)
    {
        deliveries.Clear();
        trie.Match(publish.Message.Topic, publish.PublisherClientId, deliveries);
        var confirm = publish.Confirm;
        var writes = 0;
        if (confirm is not null && publish.Message.QoS != QualityOfService.AtMostOnce)
        {
            foreach (var delivery in deliveries)
            {
                if (MustConfirm(delivery))
                {
                    writes++;
                }
            }
        }

        var pace = publish.Pace is { } mark ? mark with { Copies = Reachable() } : null;
        foreach (var delivery in deliveries)
        {
            if (sessions.TryGetValue(delivery.ClientId, out var target))
            {
                var mustConfirm = writes > 0 && MustConfirm(delivery);
                var message = new DeliverMessage(publish, delivery, mustConfirm, mustConfirm ? writes : 0)
                {
                    Pace = pace,
                    SharedBy = delivery.Group is not null && publish.Message.QoS != QualityOfService.AtMostOnce ? Self : null,
                };
                Send(target.Session, message);
            }
        }

        if (writes == 0)
        {
            confirm?.To.Tell(new RouteCounted(confirm.Id, 0, Matched: deliveries.Count > 0));
        }

        if (pace is { Copies: 0 })
        {
            pace.Answer();
        }
    }

    private void Send(IActorRef? session, DeliverMessage message)
    {
        if (session is not null)
        {
            session.Tell(message);
        }
        else
        {
            sessionRegion?.Tell(new SessionEnvelope(message.Delivery.ClientId, message));
        }
    }

    /// <summary>
    /// A shared group's member could not take a QoS 1 or 2 copy: it goes to another member, connected ones first, with
    /// the same place in the publisher's count of writes. When every member refused it, it is dropped as a full queue
    /// drops a message, and its write is reported done so the publisher's acknowledgement does not wait for it.
    /// </summary>
    private void PickAnother(DeliverMessage refused)
    {
        var refusedBy = refused.RefusedBy.Append(refused.Delivery.ClientId).ToList();
        if (refused.Delivery.Group is { } group
            && trie.TryPickAnother(group, refusedBy, out var next)
            && sessions.TryGetValue(next.ClientId, out var target))
        {
            Send(target.Session, refused with { Delivery = next, RefusedBy = refusedBy });
            return;
        }

        BrokerMetrics.Dropped(DropReason.SharedGroup);
        droppedSinceLastLog++;
        if (lastDropLog is not { } last || time.Milliseconds() - last >= 60_000)
        {
            // Logged as a session's full queue is: the first at once, the ones after it at most once a minute.
            log.Warning(
                "Shared group {Group}: no member could take a message to {Topic} ({Refused} members refused it); dropped {Dropped} messages since the last report",
                refused.Delivery.Group?.ShareName,
                refused.Publish.Message.Topic,
                refusedBy.Count,
                droppedSinceLastLog);
            lastDropLog = time.Milliseconds();
            droppedSinceLastLog = 0;
        }

        if (refused.MustConfirm && refused.Publish.Confirm is { } confirm)
        {
            confirm.To.Tell(new WriteConfirmed(confirm.Id, Stored: true, refused.RoutedWrites));
        }
    }

    /// <summary>How many of the matched sessions a copy goes to.</summary>
    private int Reachable()
    {
        var count = 0;
        foreach (var delivery in deliveries)
        {
            if (sessions.TryGetValue(delivery.ClientId, out var target) && (target.Session is not null || sessionRegion is not null))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// Whether the publisher's acknowledgement waits for this copy: a durable session's write, and any shared group's
    /// copy, which may be handed on from member to member before one takes it.
    /// </summary>
    private bool MustConfirm(Delivery delivery) =>
        delivery.MaximumQoS != QualityOfService.AtMostOnce
        && sessions.TryGetValue(delivery.ClientId, out var target)
        && (target.Durable || delivery.Group is not null);
}
