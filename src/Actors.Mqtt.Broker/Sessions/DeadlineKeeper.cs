using Actors.Mqtt.Broker.Clustering;
using Actors.Mqtt.Broker.Persistence;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace Actors.Mqtt.Broker.Sessions;

// States (one keeper per node; only the oldest member's acts):
//   WAITING --poll timer, oldest--> READING --rows due--> WAITING (each due session woken)
//   MemberRemoved, oldest --> the dead node's sessions counted as detached now, then READING
//   count timer, oldest --> offline sessions counted for the cluster's gauge (no longer oldest: its count withdrawn)

/// <summary>
/// Wakes the sessions whose will or expiry is due while they sleep: the session index holds each one's deadline, read
/// every <see cref="PollInterval"/> by the oldest member of the cluster, so one timer serves every sleeping session of
/// the cluster and sessions that fell due while the broker was down run within one interval of its start
/// (docs/architecture.md, "Sleeping sessions"). A session that is awake keeps its own timers; waking it again does
/// nothing. When a member is removed, the sessions its connections held lost them then. The keeper also counts the
/// index's offline sessions for <see cref="BrokerMetrics.SessionsOfflineCluster"/>: a sleeping session is in no node's
/// memory, so no other count sees it.
/// </summary>
public sealed class DeadlineKeeper : ReceiveActor, IWithTimers
{
    /// <summary>How often the index is read for deadlines that passed: how late, at most, a sleeping session's will or
    /// expiry runs.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private const string PollTimer = "poll";
    private const string CountTimer = "count";
    private const int BatchSize = 1000;
    private static readonly TimeSpan FirstRewake = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LastRewake = TimeSpan.FromMinutes(10);

    private readonly IActorRef sessions;
    private readonly SessionIndexStore store;
    private readonly TimeProvider time;
    private readonly TimeSpan countEvery;
    private readonly Cluster cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter log = Context.GetLogger();

    // Sessions woken whose row still says they are due (the session is writing it, or its journal cannot be read): not
    // woken again before the time noted, which doubles each time.
    private readonly Dictionary<string, (DateTimeOffset Until, TimeSpan Wait)> woken = new(StringComparer.Ordinal);
    private bool reading;
    private bool failing;

    // What this keeper added to the cluster's offline gauge: withdrawn when another member becomes the oldest.
    private long reported;
    private bool counting;

    public DeadlineKeeper(IActorRef sessions, SessionIndexStore store, TimeProvider time, TimeSpan countEvery)
    {
        this.sessions = sessions;
        this.store = store;
        this.time = time;
        this.countEvery = countEvery;
        Receive<Poll>(_ => Read());
        Receive<Due>(OnDue);
        Receive<CountNow>(_ => Count());
        Receive<Counted>(counted =>
        {
            counting = false;
            Report(SessionWaker.IsOldest(cluster) ? counted.Offline : 0);
        });
        Receive<CountFailed>(_ => counting = false);
        Receive<Status.Failure>(failure =>
        {
            reading = false;

            // Once per outage of the store, not once per poll.
            if (!failing)
            {
                failing = true;
                log.Warning("Session deadlines not read: {Reason}; trying again every {Seconds} s", failure.Cause.GetBaseException().Message, PollInterval.TotalSeconds);
            }
        });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            if (SessionWaker.IsOldest(cluster))
            {
                var node = ClusterNodeSettings.NodeOf(removed.Member.Address).ToString();
                store.DetachAllAsync(time.GetUtcNow(), node).PipeTo(Self, success: count => new NodeDetached(node, count), failure: e => new NodeDetached(node, -1, e.GetBaseException().Message));
            }
        });
        Receive<NodeDetached>(detached =>
        {
            if (detached.Failure is { } reason)
            {
                // Its sessions stay marked as attached until their clients or messages wake them.
                log.Warning("Session index: sessions of removed node {Node} not marked as detached: {Reason}", detached.Node, reason);
            }
            else if (detached.Count > 0)
            {
                log.Info("Session index: {Count} sessions of removed node {Node} lost their connections", detached.Count, detached.Node);
            }

            Read();
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="countEvery">How often the offline sessions are counted: as often as <c>$SYS</c> publishes them.</param>
    public static Props Props(IActorRef sessions, SessionIndexStore store, TimeProvider time, TimeSpan countEvery) =>
        Akka.Actor.Props.Create(() => new DeadlineKeeper(sessions, store, time, countEvery));

    protected override void PreStart()
    {
        cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.MemberRemoved));
        Timers.StartPeriodicTimer(PollTimer, Poll.Instance, PollInterval);
        Timers.StartPeriodicTimer(CountTimer, CountNow.Instance, countEvery);
        Read();
        Count();
    }

    protected override void PostStop()
    {
        cluster.Unsubscribe(Self);
        Report(0);
    }

    private void Count()
    {
        if (!SessionWaker.IsOldest(cluster))
        {
            Report(0);
            return;
        }

        if (counting)
        {
            return;
        }

        // A failure is the store's outage, which the deadline reads already log; the gauge keeps its last count.
        counting = true;
        store.CountDetachedAsync().PipeTo(Self, success: offline => new Counted(offline), failure: _ => CountFailed.Instance);
    }

    private void Report(long offline)
    {
        BrokerMetrics.SessionsOfflineCluster.Add(offline - reported);
        reported = offline;
    }

    private void Read()
    {
        if (reading || !SessionWaker.IsOldest(cluster))
        {
            return;
        }

        reading = true;
        store.DueAsync(time.GetUtcNow(), BatchSize).PipeTo(Self, success: due => new Due(due));
    }

    private void OnDue(Due due)
    {
        reading = false;
        if (failing)
        {
            failing = false;
            log.Info("Session deadlines read again");
        }

        var now = time.GetUtcNow();
        foreach (var stale in woken.Where(w => w.Value.Until <= now - LastRewake).Select(w => w.Key).ToList())
        {
            woken.Remove(stale);
        }

        var fresh = 0;
        foreach (var (clientId, detachedAt) in due.Sessions)
        {
            var wait = FirstRewake;
            if (woken.TryGetValue(clientId, out var last))
            {
                if (last.Until > now)
                {
                    continue;
                }

                wait = TimeSpan.FromTicks(Math.Min(last.Wait.Ticks * 2, LastRewake.Ticks));
            }

            woken[clientId] = (now + wait, wait);
            sessions.Tell(new SessionEnvelope(clientId, new WakeUp(detachedAt)));
            fresh++;
        }

        // A full batch may hide more: read on at once, unless every one of them was woken already.
        if (due.Sessions.Count == BatchSize && fresh > 0)
        {
            Read();
        }
    }

    private sealed record Poll
    {
        public static readonly Poll Instance = new();
    }

    private sealed record CountNow
    {
        public static readonly CountNow Instance = new();
    }

    private sealed record Counted(long Offline);

    private sealed record CountFailed
    {
        public static readonly CountFailed Instance = new();
    }

    private sealed record Due(IReadOnlyList<(string ClientId, DateTimeOffset DetachedAt)> Sessions);

    private sealed record NodeDetached(string Node, int Count, string? Failure = null);
}
