using Akka.Actor;

namespace Actors.Mqtt.Broker.Sessions;

// When SessionActor goes to sleep: a journaled session without a connection that had nothing to do for
// sessions.idle-timeout stops, and lives on in the journal and the session index (docs/architecture.md, "Sleeping
// sessions"): the topic trees reach it through the shard region, which starts it again, and the DeadlineKeeper wakes
// it when its will or expiry is due.
public sealed partial class SessionActor
{
    private const string IdleTimer = "idle";

    // When the session last handled a message (BrokerTime ticks), read when the idle timer fires.
    private long lastActivity;

    /// <summary>After every message but the idle timer's own: the session is busy now, and may sleep once idle long enough.
    /// The timer's message reaches AroundReceive still wrapped by Akka's timer scheduler.</summary>
    private void NoteActivity(object message)
    {
        if (message is IWrappedMessage { Message: IdleElapsed } || !MaySleep())
        {
            return;
        }

        lastActivity = settings.Time.GetTimestamp();
        if (!Timers.IsTimerActive(IdleTimer))
        {
            Timers.StartSingleTimer(IdleTimer, IdleElapsed.Instance, settings.SessionIdleTimeout);
        }
    }

    /// <summary>A session sleeps only when all it is lives on in the store: journaled, indexed, and without a connection.</summary>
    private bool MaySleep() =>
        indexing is not null && journaling && connection is null && settings.SessionIdleTimeout > TimeSpan.Zero;

    private void OnIdleElapsed()
    {
        if (!MaySleep())
        {
            return;
        }

        var idle = settings.Time.GetElapsedTime(lastActivity);
        var busy = pendingWrites > 0 || held is { Count: > 0 } || routes is { Count: > 0 } || awaiting.Count > 0;
        if (busy || idle < settings.SessionIdleTimeout)
        {
            Timers.StartSingleTimer(IdleTimer, IdleElapsed.Instance, busy ? settings.SessionIdleTimeout : settings.SessionIdleTimeout - idle);
            return;
        }

        // Messages that reach the shard from now on wait there and start the session again once this one stopped.
        Passivate();
    }

    private sealed record IdleElapsed
    {
        public static readonly IdleElapsed Instance = new();
    }
}
