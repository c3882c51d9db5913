using Actors.Mqtt.Broker.Sessions;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace Actors.Mqtt.Broker.Clustering;

/// <summary>
/// Starts every session that has a journal: once, when a store written before the session index existed is opened,
/// so that each session writes its row (docs/architecture.md, "Sleeping sessions"). The node that forms the cluster
/// does it before its listeners open. A session whose journal cannot be read is logged and left stopped.
/// </summary>
public static class SessionWaker
{
    /// <summary>Whether this node is the oldest member that is up: the one that forms the cluster and keeps the
    /// sessions' deadlines.</summary>
    public static bool IsOldest(Cluster cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var up = cluster.State.Members.Where(m => m.Status == MemberStatus.Up).ToList();
        return up.Count == 0 || up.Aggregate((a, b) => a.IsOlderThan(b) ? a : b).UniqueAddress == cluster.SelfUniqueAddress;
    }

    /// <summary>Wakes every journaled session through the shard region <paramref name="sessions"/>.</summary>
    public static async Task WakeAllAsync(ActorSystem system, IActorRef sessions, ICurrentPersistenceIdsQuery journal, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(time);
        var log = Logging.GetLogger(system, typeof(SessionWaker));
        var started = time.GetTimestamp();
        var (awake, unreadable) = await journal.CurrentPersistenceIds()
            .Where(id => id.StartsWith(SessionActor.PersistenceIdPrefix, StringComparison.Ordinal))
            .SelectAsync(8, id => WakeAsync(sessions, id[SessionActor.PersistenceIdPrefix.Length..]))
            .RunAggregate((Awake: 0, Unreadable: 0), (n, woke) => woke ? (n.Awake + 1, n.Unreadable) : (n.Awake, n.Unreadable + 1), system.Materializer())
            .ConfigureAwait(false);
        var milliseconds = (long)time.GetElapsedTime(started).TotalMilliseconds;
        if (awake + unreadable == 0)
        {
            return;
        }

        if (unreadable == 0)
        {
            log.Info("Session index made: started {Count} journaled sessions in {Milliseconds} ms", awake, milliseconds);
        }
        else
        {
            log.Warning("Session index made: started {Count} journaled sessions in {Milliseconds} ms; {Unreadable} could not be read and stay stopped", awake, milliseconds, unreadable);
        }
    }

    /// <summary>True once the session recovered; false when its journal could not be read (the session logged why).</summary>
    private static async Task<bool> WakeAsync(IActorRef sessions, string clientId) =>
        await sessions.Ask<object>(new SessionEnvelope(clientId, WakeUp.Instance), TimeSpan.FromSeconds(30)).ConfigureAwait(false)
            is SessionAwake;
}
