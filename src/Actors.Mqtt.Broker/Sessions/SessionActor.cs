using Actors.Mqtt.Broker.Clustering;
using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace Actors.Mqtt.Broker.Sessions;

// States:
//   (none) --AttachSession--> ATTACHED --DetachSession--> DETACHED --AttachSession--> ATTACHED
//                                |  ^  AttachSession         |
//                                |  +--(taken over)          | SessionExpired (expiry timer)
//                                | expiry 0                  v
//                                +----------------------->  ENDED (journal deleted, actor passivated)
//
// A DETACHED session that is journaled sleeps (its actor stops) after sessions.idle-timeout with nothing to do, and is
// started again, recovering from its journal, by its client, a message for it, or its deadline (DeadlineKeeper).
//
// One command handler (this file); the journal in SessionActor.Journal.cs, attach, detach, will and expiry in
// .Lifecycle.cs, messages to the client in .Delivery.cs, inbound QoS 2 in .InboundQos2.cs, SUBSCRIBE in
// .Subscriptions.cs, the session index in .Index.cs, and sleep in .Sleep.cs (docs/architecture.md, "Life of a session").

/// <summary>
/// The session of one client id (a Cluster.Sharding entity): its subscriptions, the QoS 1 and 2 messages queued
/// and in flight towards the client, the inbound QoS 2 packet ids awaiting PUBREL, the will and the expiry.
/// A session that outlives its connection journals every change (<see cref="ISessionEvent"/>); a clean session
/// journals nothing. The connection actor owns the socket; this actor decides what goes to the client.
/// </summary>
public sealed partial class SessionActor : UntypedPersistentActor, IWithTimers
{
    private const string WillTimer = "will-delay";
    private const string ExpiryTimer = "expiry";
    private const string RouteSweepTimer = "route-sweep";

    private readonly string clientId;
    private readonly BrokerSettings settings;

    // Null when no extension listens.
    private readonly BrokerEvents? events;
    private readonly IActorRef topicTree;
    private readonly IActorRef retainedStore;
    private readonly BrokerPublisher publisher;
    private readonly SessionState state = new();
    private readonly ILoggingAdapter log = SharedLogs.For<SessionActor>(Context);
    private IActorRef? connection;
    private readonly SessionIndexing? indexing;
    // Answers waiting for writes beyond the journal's: a SUBACK for every node's topic tree to hold the new subscriptions
    // and for the session index, a CONNACK for the index (see Await).
    private readonly Dictionary<long, (int Parts, Action Then)> awaiting = [];
    private long lastAwait;
    // Whether the session index may hold a row of this session.
    private bool indexed;
    // Ended: its journal is being deleted, and it stops once that is done (see End); what comes for it meanwhile waits here.
    private bool ending;
    private long endedAt;
    private List<(object Message, IActorRef Sender)>? afterEnd;
    // Asked its shard to stop it (see Passivate).
    private bool passivating;
    // Recovered without knowing when it lost its connection (it was lost with the node): decided at the first command.
    private bool countdownPending;
    private MqttProtocolVersion version = MqttProtocolVersion.V311;
    private ushort window = 1;

    // Inbound QoS 2 messages being routed, by route id and by packet id; made at the first one, as most sessions have none.
    private Dictionary<long, PendingRoute>? routes;
    // Packet ids being routed, with the connection to answer: the latest to send the PUBLISH, so that a retry from a new
    // connection while the route still runs gets the PUBREC.
    private Dictionary<ushort, IActorRef>? routing;
    private long lastRouteId;
    private int droppedSinceLastLog;
    private long droppedTotal;
    private long? lastDropLog;
    private bool journaling;
    private int pendingWrites;
    private int eventsSinceSnapshot;
    private List<(MessageQueued Event, Action? Then)>? held;
    // Messages whose PUBLISH waits for the write that puts them in flight; while any do, later ones wait too.
    private int sendsAwaitingWrite;
    // Who waits for the session while it recovers, to be told if recovery fails (see AroundReceive).
    private List<IActorRef>? awaitingRecovery;
    // What this session added to the broker's gauges (BrokerMetrics), taken back when it stops.
    private int countedSubscriptions;
    private bool countedOffline;
    private int countedQueued;
    private long countedQueuedBytes;
    private int countedInflight;

    public SessionActor(string clientId, BrokerSettings settings, IActorRef topicTree, IActorRef retainedStore, SessionIndexing? indexing)
    {
        this.indexing = indexing;
        this.clientId = clientId;
        PersistenceId = PersistenceIdPrefix + clientId;
        this.settings = settings;
        this.topicTree = topicTree;
        this.retainedStore = retainedStore;
        events = BrokerEvents.For(Context.System, settings);
        publisher = new BrokerPublisher(topicTree, retainedStore, Self, events);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>A session's journal is named after its client id with this in front.</summary>
    public const string PersistenceIdPrefix = "session-";

    // Akka reads it for every event written: made once, not per write.
    public override string PersistenceId { get; }

    /// <param name="indexing">Where the session writes its row of the session index; null for a store that keeps none.</param>
    public static Props Props(string clientId, BrokerSettings settings, IActorRef topicTree, IActorRef retainedStore, SessionIndexing? indexing = null) =>
        Akka.Actor.Props.Create(() => new SessionActor(clientId, settings, topicTree, retainedStore, indexing));

    /// <summary>Messages it published (a will, as the session ends) that still wait for their subtree's address go on.</summary>
    protected override void PostStop()
    {
        publisher.SendWaiting();
        BrokerMetrics.Subscriptions.Add(-countedSubscriptions);
        BrokerMetrics.SessionQueued.Add(-countedQueued);
        BrokerMetrics.SessionQueuedBytes.Add(-countedQueuedBytes);
        BrokerMetrics.SessionInflight.Add(-countedInflight);
        if (countedOffline)
        {
            BrokerMetrics.SessionsOffline.Add(-1);
        }

        base.PostStop();
    }

    /// <summary>Brings the broker's gauges of subscriptions, offline sessions, queued and in-flight messages up to date
    /// with this session, after every message it handled (see AroundReceive): cheaper than a call at every place that
    /// changes them, and none can be missed.</summary>
    private void Count()
    {
        if (state.Subscriptions.Count != countedSubscriptions)
        {
            BrokerMetrics.Subscriptions.Add(state.Subscriptions.Count - countedSubscriptions);
            countedSubscriptions = state.Subscriptions.Count;
        }

        if (state.QueuedCount != countedQueued)
        {
            BrokerMetrics.SessionQueued.Add(state.QueuedCount - countedQueued);
            countedQueued = state.QueuedCount;
        }

        if (state.QueuedBytes != countedQueuedBytes)
        {
            BrokerMetrics.SessionQueuedBytes.Add(state.QueuedBytes - countedQueuedBytes);
            countedQueuedBytes = state.QueuedBytes;
        }

        if (state.InflightCount != countedInflight)
        {
            BrokerMetrics.SessionInflight.Add(state.InflightCount - countedInflight);
            countedInflight = state.InflightCount;
        }

        var offline = journaling && connection is null;
        if (offline != countedOffline)
        {
            BrokerMetrics.SessionsOffline.Add(offline ? 1 : -1);
            countedOffline = offline;
        }
    }

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer offer:
                state.Restore((SessionSnapshot)offer.Snapshot);
                return;

            case ISessionEvent sessionEvent:
                state.Apply(sessionEvent);
                return;

            case RecoveryCompleted:
                awaitingRecovery = null;
                OnRecovered();
                return;

            default:
                return;
        }
    }

    protected override void OnCommand(object message)
    {
        if (countdownPending)
        {
            countdownPending = false;
            CountDownFromLostNode(message is WakeUp { DetachedSince: { } since } ? since : settings.Time.GetUtcNow());
        }

        if ((ending || passivating) && message is IWireMessage)
        {
            // This actor stops (see Passivate): what comes for the client id meanwhile goes to the next session of that id.
            if (passivating)
            {
                Context.Parent.Forward(new SessionEnvelope(clientId, message));
            }
            else
            {
                (afterEnd ??= []).Add((message, Sender));
            }

            return;
        }

        switch (message)
        {
            case WakeUp:
                {
                    Sender.Tell(SessionAwake.Instance);
                    StopIfEmpty();
                    return;
                }

            case AttachSession attach when attach.Connection.Equals(connection):
                // The connection asked again (a member left while it waited, and it could not know where this session
                // lived); its answer is on its way.
                return;

            case AttachSession attach:
                Attach(attach);
                return;

            case DetachSession detach:
                Detach(detach);
                return;

            case Terminated t:
                Detach(new DetachSession(t.ActorRef, PublishWill: true, SessionExpiryInterval: null));
                return;

            case DeliverMessage deliver:
                Deliver(deliver);
                return;

            case RetainedMatches matches:
                OnRetained(matches);
                return;

            case SubscriptionsHeld held:
                Answered(held.AwaitId);
                return;

            case SessionIndexed indexed:
                Answered(indexed.Token);
                return;

            case SubscribeRequest subscribe:
                Subscribe(subscribe);
                return;

            case UnsubscribeRequest unsubscribe:
                Unsubscribe(unsubscribe);
                return;

            case OutboundAcknowledged acknowledged:
                OnAcknowledged(acknowledged);
                return;

            case OutboundDiscarded discarded:
                Complete([discarded.PacketId]);
                return;

            case OutboundReceived received:
                OnReceived(received);
                return;

            case InboundQos2 inbound:
                OnInboundQos2(inbound);
                return;

            case InboundRelease release:
                OnInboundRelease(release);
                return;

            case RouteCounted counted:
                UpdateRoute(counted.Id, tally => tally.Count(counted.Writes, counted.Matched));
                return;

            case WriteConfirmed confirmed:
                UpdateRoute(confirmed.Id, tally => tally.Confirm(confirmed.Stored, confirmed.RoutedWrites));
                return;

            case SubtreeResolved resolved:
                publisher.Resolved(resolved);
                return;

            case SweepRoutes:
                SweepExpiredRoutes();
                return;

            case SessionExpired:
                Expire();
                return;

            case IdleElapsed:
                OnIdleElapsed();
                return;

            case WillDelayElapsed:
                PublishWill();
                return;

            case StopSession:
                StopWhenWritten();
                return;

            case SaveSnapshotSuccess saved:
                OnSnapshotSaved(saved);
                return;

            case SaveSnapshotFailure f:
                log.Warning("Session {ClientId}: snapshot not saved: {Reason}", clientId, f.Cause.Message);
                return;

            case DeleteSnapshotsSuccess:
                return;

            case DeleteSnapshotsFailure f:
                log.Warning("Session {ClientId}: old snapshots not deleted: {Reason}", clientId, f.Cause.Message);
                return;

            case DeleteMessagesSuccess deleted:
                if (ending && deleted.ToSequenceNr >= endedAt)
                {
                    Passivate();
                }

                return;

            case DeleteMessagesFailure f:
                log.Warning("Session {ClientId}: journal not deleted: {Reason}", clientId, f.Cause.Message);
                if (ending && f.ToSequenceNr >= endedAt)
                {
                    Passivate();
                }

                return;

            default:
                Unhandled(message);
                return;
        }
    }

    private sealed record StopSession
    {
        public static readonly StopSession Instance = new();
    }

    private sealed record SessionExpired
    {
        public static readonly SessionExpired Instance = new();
    }

    private sealed record WillDelayElapsed
    {
        public static readonly WillDelayElapsed Instance = new();
    }
}
