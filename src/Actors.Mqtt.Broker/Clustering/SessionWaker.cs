using Actors.Mqtt.Broker.Sessions;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace Actors.Mqtt.Broker.Clustering;

// States:
//   IDLE --membership changed, this node the oldest--> WAKING --done--> IDLE
//   WAKING --membership changed--> WAKING, once more when done

/// <summary>
/// Starts every session that has a journal, once per cluster: an offline session's subscriptions must be in the topic
/// trees to receive what is published for it, and its expiry and will delay must run. The oldest member does it when
/// the cluster forms (before its listeners open) and again whenever a member joins or leaves, since sessions stop when
/// their shard moves or their node dies and would otherwise wait for the next message to start again. A session that
/// is running already only answers. A session whose journal cannot be read is logged and left stopped.
/// </summary>
public sealed class SessionWaker : ReceiveActor
{
    private readonly IActorRef sessions;
    private readonly ICurrentPersistenceIdsQuery journal;
    private readonly TimeProvider time;
    private readonly Cluster cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter log = Context.GetLogger();
    private bool waking;
    private bool again;

    public SessionWaker(IActorRef sessions, ICurrentPersistenceIdsQuery journal, TimeProvider time)
    {
        this.sessions = sessions;
        this.journal = journal;
        this.time = time;
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<ClusterEvent.MemberUp>(_ => MembershipChanged());
        Receive<ClusterEvent.MemberRemoved>(_ => MembershipChanged());
        Receive<WakeAll>(_ => Start(Sender));
        Receive<Woken>(woken =>
        {
            waking = false;
            woken.Asker?.Tell(woken);
            if (again)
            {
                again = false;
                MembershipChanged();
            }
        });
        Receive<Status.Failure>(failure =>
        {
            waking = false;
            log.Warning("Journaled sessions not woken: {Reason}", failure.Cause.Message);
        });
    }

    public static Props Props(IActorRef sessions, ICurrentPersistenceIdsQuery journal, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new SessionWaker(sessions, journal, time));

    /// <summary>Whether this node is the oldest member that is up: the one that wakes the cluster's sessions.</summary>
    public static bool IsOldest(Cluster cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var up = cluster.State.Members.Where(m => m.Status == MemberStatus.Up).ToList();
        return up.Count == 0 || up.Aggregate((a, b) => a.IsOlderThan(b) ? a : b).UniqueAddress == cluster.SelfUniqueAddress;
    }

    /// <summary>Membership events come after the first wake, which the broker's start asks for itself.</summary>
    protected override void PreStart() =>
        cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.MemberUp), typeof(ClusterEvent.MemberRemoved));

    protected override void PostStop() => cluster.Unsubscribe(Self);

    private void MembershipChanged()
    {
        if (waking)
        {
            again = true;
        }
        else if (IsOldest(cluster))
        {
            Start(asker: null);
        }
    }

    private void Start(IActorRef? asker)
    {
        waking = true;
        Wake().PipeTo(Self, success: woken => woken with { Asker = asker });
    }

    private async Task<Woken> Wake()
    {
        var started = time.GetTimestamp();
        var (awake, unreadable) = await journal.CurrentPersistenceIds()
            .Where(id => id.StartsWith(SessionActor.PersistenceIdPrefix, StringComparison.Ordinal))
            .SelectAsync(8, id => WakeAsync(id[SessionActor.PersistenceIdPrefix.Length..]))
            .RunAggregate((Awake: 0, Unreadable: 0), (n, woke) => woke ? (n.Awake + 1, n.Unreadable) : (n.Awake, n.Unreadable + 1), Context.System.Materializer())
            .ConfigureAwait(false);
        var milliseconds = (long)time.GetElapsedTime(started).TotalMilliseconds;
        if (unreadable == 0)
        {
            log.Info("Started {Count} journaled sessions in {Milliseconds} ms", awake, milliseconds);
        }
        else
        {
            log.Warning("Started {Count} journaled sessions in {Milliseconds} ms; {Unreadable} could not be read and stay stopped", awake, milliseconds, unreadable);
        }

        return new Woken(awake, unreadable, null);
    }

    /// <summary>True once the session recovered; false when its journal could not be read (the session logged why).</summary>
    private async Task<bool> WakeAsync(string clientId) =>
        await sessions.Ask<object>(new SessionEnvelope(clientId, WakeUp.Instance), TimeSpan.FromSeconds(30)).ConfigureAwait(false)
            is SessionAwake;

    /// <summary>Wakes every journaled session now; answered with <see cref="Woken"/>.</summary>
    public sealed record WakeAll
    {
        public static readonly WakeAll Instance = new();

        private WakeAll()
        {
        }
    }

    /// <param name="Asker">Who asked with <see cref="WakeAll"/>; null for a wake after a membership change.</param>
    public sealed record Woken(int Awake, int Unreadable, IActorRef? Asker);
}
