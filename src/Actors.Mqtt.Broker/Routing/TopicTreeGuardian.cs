using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace Actors.Mqtt.Broker.Routing;

// Peers (one per other cluster member whose guardian answered):
//   MemberUp --> PeerHello sent --PeerWelcome--> peer: given this node's own subscriptions, then every change
//   PeerHello received --> PeerWelcome answered, peer added as above
//   peer Terminated (its node left or was downed) --> dropped; holds waiting for it are released

/// <summary>
/// Parent of the topic subtrees: a fixed set of <see cref="TopicTreeActor"/>s, each owning the first topic levels
/// that hash to it, so publications to different subtrees are matched in parallel while the number of actors stays
/// the same however many first levels are published (docs/architecture.md, "Topic tree"). A filter whose first level
/// is a wildcard can match in every subtree, so each subtree holds it once; a publication is then matched by exactly
/// one subtree.
/// </summary>
/// <remarks>
/// In a cluster every node holds every subscription, so that a publication is matched on the node it arrived at and
/// goes from there to each session wherever it lives: the guardian passes the changes its node's sessions make to the
/// guardians of the other members, and a session's SUBACK waits until each of them holds the new subscriptions
/// (<see cref="SubscriptionsHeld"/>), so that a message published through any node after it is delivered.
/// </remarks>
public sealed class TopicTreeGuardian : ReceiveActor, IWithTimers
{
    /// <summary>
    /// How many subtree actors there are: twice the cores, so that two busy first levels seldom share one on a large
    /// machine, and at least 16, so that a connection's cache of subtrees stays small and full on a small one.
    /// </summary>
    public static readonly int SubtreeCount = Math.Max(16, 2 * Environment.ProcessorCount);

    /// <summary>How long a SUBACK waits for another node's tree: one that does not answer by then is unreachable, and
    /// the split brain resolver will remove it or it will come back with its own copy.</summary>
    private static readonly TimeSpan PeerPatience = TimeSpan.FromSeconds(5);

    private readonly IActorRef[] subtrees;
    private readonly Dictionary<Address, IActorRef> peers = [];
    private readonly OwnSubscriptions own = new();
    private readonly Dictionary<long, Hold> holds = [];
    private readonly List<IActorRef> peerWaiters = [];
    private readonly ILoggingAdapter log = Context.GetLogger();
    private long lastHold;

    private const string PeersTimer = "peers";

    /// <summary>How long a node that starts waits for the members already up to give it their subscriptions.</summary>
    private static readonly TimeSpan PeersPatience = TimeSpan.FromSeconds(30);

    public TopicTreeGuardian(Func<ISharedSubscriptionPicker> pickerFactory, TimeProvider time)
    {
        subtrees = new IActorRef[SubtreeCount];
        for (var i = 0; i < subtrees.Length; i++)
        {
            subtrees[i] = Context.ActorOf(TopicTreeActor.Props(pickerFactory(), time), "subtree-" + i);
        }

        Receive<AddSubscriptions>(add =>
        {
            own.Apply(add);
            Add(add);
            Replicate(add, add.AwaitId);
        });
        Receive<RemoveSubscriptions>(ChangedHere);
        Receive<RemoveClient>(ChangedHere);
        Receive<SessionPresence>(ChangedHere);
        Receive<RestoreSubscriptions>(Restore);
        Receive<RoutePublish>(p => subtrees[SubtreeOf(p.Message.Topic)].Forward(p));
        Receive<UseSessionRegion>(ToEverySubtree);
        Receive<ResolveSubtree>(r => Sender.Tell(new SubtreeResolved(r.Index, subtrees[r.Index])));
        Receive<PeerChange>(OnPeerChange);
        Receive<PeerChangeHeld>(held => Held(held.AwaitId, Sender.Path.Address));
        Receive<HoldTimedOut>(timedOut => Release(timedOut.Id, timedOut: true));
        Receive<PeerHello>(_ =>
        {
            // The table first, then the welcome: a peer that waits for welcomes before it serves clients has the table.
            AddPeer(Sender);
            Sender.Tell(PeerWelcome.Instance);
        });
        Receive<PeerWelcome>(_ => AddPeer(Sender));
        Receive<AwaitPeers>(_ =>
        {
            peerWaiters.Add(Sender);
            Timers.StartSingleTimer(PeersTimer, PeersTimedOut.Instance, PeersPatience);
            AnswerPeersReady();
        });
        Receive<PeersTimedOut>(_ =>
        {
            log.Warning("Topic tree: no answer within {Seconds} s from {Nodes}; serving without their subscriptions until they answer", PeersPatience.TotalSeconds, string.Join(", ", MissingPeers()));
            ReleasePeerWaiters();
        });
        Receive<ClusterEvent.MemberUp>(up => Greet(up.Member.Address));
        Receive<Terminated>(t => RemovePeer(t.ActorRef));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>On a cluster's node, greets the guardian of every member that is or comes up; alone (an actor system
    /// without Akka.Cluster, as in unit tests) it has no peers.</summary>
    protected override void PreStart()
    {
        if (Context.System is ExtendedActorSystem { Provider: IClusterActorRefProvider })
        {
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberUp));
        }
    }

    protected override void PostStop()
    {
        if (Context.System is ExtendedActorSystem { Provider: IClusterActorRefProvider })
        {
            Cluster.Get(Context.System).Unsubscribe(Self);
        }
    }

    /// <summary>
    /// A subtree that fails on one publication keeps its subscriptions and goes on: restarting it would empty its
    /// trie and silently stop every delivery in that subtree.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(_ => Directive.Resume);

    public static Props Props(Func<ISharedSubscriptionPicker> pickerFactory, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new TopicTreeGuardian(pickerFactory, time));

    /// <summary>
    /// The subtree that owns the first level of <paramref name="topic"/> (a topic name, or a filter whose first
    /// level is no wildcard).
    /// </summary>
    /// <remarks>
    /// The string hash of .NET, seeded at random once per process: stable for the life of the broker, which is all the
    /// connections and the guardian need to agree, and not one a client can aim many first levels at one subtree with.
    /// Each node hashes on its own: what crosses nodes is subscriptions, never subtree numbers.
    /// </remarks>
    public static int SubtreeOf(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var slash = topic.IndexOf('/', StringComparison.Ordinal);
        var level = slash < 0 ? topic.AsSpan() : topic.AsSpan(0, slash);
        return (int)((uint)string.GetHashCode(level) % (uint)SubtreeCount);
    }

    private void ChangedHere(object change)
    {
        own.Apply(change);
        ToEverySubtree(change);
        Replicate(change, awaitId: 0);
    }

    /// <summary>A change another node's session made: into this node's subtrees, answered once they have it (each
    /// subtree's mailbox holds it before any publication that the answer lets a client send).</summary>
    private void OnPeerChange(PeerChange change)
    {
        if (change.Change is AddSubscriptions add)
        {
            Add(add);
        }
        else
        {
            ToEverySubtree(change.Change);
        }

        if (change.AwaitId != 0)
        {
            Sender.Tell(new PeerChangeHeld(change.AwaitId));
        }
    }

    /// <summary>Passes a change of this node's sessions to every peer; a session waiting with <paramref name="awaitId"/>
    /// hears once each has it.</summary>
    private void Replicate(object change, long awaitId)
    {
        if (peers.Count == 0)
        {
            if (awaitId != 0)
            {
                Sender.Tell(new SubscriptionsHeld(awaitId));
            }

            return;
        }

        var id = 0L;
        if (awaitId != 0)
        {
            id = ++lastHold;
            holds[id] = new Hold(Sender, awaitId, [.. peers.Keys]);
            Timers.StartSingleTimer(new HoldTimer(id), new HoldTimedOut(id), PeerPatience);
        }

        foreach (var peer in peers.Values)
        {
            peer.Tell(new PeerChange(change, id));
        }
    }

    private void Held(long id, Address peer)
    {
        if (holds.TryGetValue(id, out var hold) && hold.Waiting.Remove(peer) && hold.Waiting.Count == 0)
        {
            Release(id, timedOut: false);
        }
    }

    private void Release(long id, bool timedOut)
    {
        if (!holds.Remove(id, out var hold))
        {
            return;
        }

        Timers.Cancel(new HoldTimer(id));
        if (timedOut)
        {
            log.Warning(
                "Subscriptions not confirmed by {Nodes} within {Seconds} s: SUBACK sent all the same; a message published through those nodes may miss them until they answer",
                string.Join(", ", hold.Waiting),
                PeerPatience.TotalSeconds);
        }

        hold.Session.Tell(new SubscriptionsHeld(hold.AwaitId));
    }

    private void Greet(Address member)
    {
        if (member != Cluster.Get(Context.System).SelfAddress && !peers.ContainsKey(member))
        {
            Context.ActorSelection(new RootActorPath(member) / Self.Path.Elements).Tell(PeerHello.Instance);
        }
    }

    /// <summary>A peer greeted, or answered a greeting: it gets the subscriptions of this node's sessions, then every
    /// change they make.</summary>
    private void AddPeer(IActorRef peer)
    {
        var address = peer.Path.Address;
        if (peers.ContainsKey(address))
        {
            return;
        }

        peers[address] = peer;
        Context.Watch(peer);
        foreach (var add in own.ToAdds())
        {
            peer.Tell(new PeerChange(add));
        }

        log.Info("Topic tree replicating to {Node} ({Sessions} sessions of this node given)", address, own.Count);
        AnswerPeersReady();
    }

    private IEnumerable<Address> MissingPeers()
    {
        if (Context.System is not ExtendedActorSystem { Provider: IClusterActorRefProvider })
        {
            return [];
        }

        var cluster = Cluster.Get(Context.System);
        return cluster.State.Members
            .Where(m => m.Status == MemberStatus.Up && m.Address != cluster.SelfAddress && !peers.ContainsKey(m.Address))
            .Select(m => m.Address);
    }

    private void AnswerPeersReady()
    {
        if (peerWaiters.Count > 0 && !MissingPeers().Any())
        {
            ReleasePeerWaiters();
        }
    }

    private void ReleasePeerWaiters()
    {
        Timers.Cancel(PeersTimer);
        foreach (var waiter in peerWaiters)
        {
            waiter.Tell(PeersReady.Instance);
        }

        peerWaiters.Clear();
    }

    private void RemovePeer(IActorRef peer)
    {
        var address = peer.Path.Address;
        if (!peers.Remove(address))
        {
            return;
        }

        foreach (var (id, _) in holds.Where(h => h.Value.Waiting.Contains(address)).ToList())
        {
            Held(id, address);
        }

        AnswerPeersReady();
    }

    /// <summary>Sleeping sessions' subscriptions: into the subtrees, neither this node's own nor given to peers, since
    /// every node reads the session index itself.</summary>
    private void Restore(RestoreSubscriptions restore)
    {
        var bySubtree = new List<IReadOnlyList<Subscription>>?[subtrees.Length];
        foreach (var session in restore.Sessions)
        {
            foreach (var (subtree, subscriptions) in Split(session))
            {
                (bySubtree[subtree] ??= []).Add(subscriptions);
            }
        }

        for (var i = 0; i < bySubtree.Length; i++)
        {
            if (bySubtree[i] is { } sessions)
            {
                subtrees[i].Tell(new RestoreSubscriptions(sessions));
            }
        }

        // Each subtree's mailbox holds its part ahead of anything a publisher sends after this answer.
        Sender.Tell(SubscriptionsRestored.Instance);
    }

    private void Add(AddSubscriptions add)
    {
        foreach (var (subtree, subscriptions) in Split(add.Subscriptions))
        {
            subtrees[subtree].Tell(new AddSubscriptions(add.Session, subscriptions, add.Durable, add.Connected));
        }
    }

    /// <summary>A session's subscriptions by the subtree that holds each.</summary>
    private IEnumerable<(int Subtree, List<Subscription> Subscriptions)> Split(IReadOnlyList<Subscription> subscriptions)
    {
        var bySubtree = new List<Subscription>?[subtrees.Length];
        foreach (var subscription in subscriptions)
        {
            // A wildcard fills its whole level, so a filter that starts with one has it as its first level.
            if (subscription.Filter.Filter is ['+' or '#', ..])
            {
                for (var i = 0; i < bySubtree.Length; i++)
                {
                    (bySubtree[i] ??= []).Add(subscription);
                }
            }
            else
            {
                (bySubtree[SubtreeOf(subscription.Filter.Filter)] ??= []).Add(subscription);
            }
        }

        for (var i = 0; i < bySubtree.Length; i++)
        {
            if (bySubtree[i] is { } mine)
            {
                yield return (i, mine);
            }
        }
    }

    // Removals are rare next to publications, and there are few subtrees: every one is told, rather than each filter
    // text parsed here to find its own.
    private void ToEverySubtree(object message)
    {
        foreach (var subtree in subtrees)
        {
            subtree.Tell(message);
        }
    }

    /// <summary>A session waiting for its subscriptions to be in the trees of <paramref name="Waiting"/>.</summary>
    private sealed record Hold(IActorRef Session, long AwaitId, HashSet<Address> Waiting);

    private sealed record HoldTimer(long Id);

    private sealed record HoldTimedOut(long Id);

    private sealed record PeersTimedOut
    {
        public static readonly PeersTimedOut Instance = new();
    }
}
