using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace Actors.Mqtt.Broker.Sessions;

// How SessionActor journals: events written in batches, held messages, snapshots, deletion, and journal failures.
public sealed partial class SessionActor
{
    /// <summary>
    /// Applies the event, and journals it when the session outlives its connection; <paramref name="then"/> runs once
    /// the write is confirmed (at once when nothing is written, but never ahead of an earlier write's callback).
    /// Writes are asynchronous so that one mailbox turn, and the journal across sessions, batch them: the state is
    /// applied at once, and replaying the journal applies the same events in the same order. A message queued while a
    /// write is on its way is held and journaled with the others held beside it as one event once that write lands
    /// (the journal would have batched their rows at that moment anyway); any other event journals them first.
    /// </summary>
    private void Record(ISessionEvent e, Action? then = null)
    {
        var persist = journaling;
        switch (e)
        {
            case SessionStarted started:
                persist = journaling = started.ExpiryInterval > 0;
                break;
            case ExpiryChanged changed:
                // The change to 0 is journaled too, so that a recovery knows the session no longer lasts.
                persist = journaling || changed.ExpiryInterval > 0;
                journaling = changed.ExpiryInterval > 0;
                break;
        }

        state.Apply(e);
        if (persist && pendingWrites > 0 && e is MessageQueued queued)
        {
            (held ??= []).Add((queued, then));
            return;
        }

        JournalHeld();
        if (persist)
        {
            Write(e, 1, then);
        }
        else if (pendingWrites > 0)
        {
            DeferAsync(e, _ => then?.Invoke());
        }
        else
        {
            then?.Invoke();
        }
    }

    /// <summary>Every journal write of the session goes through here, and is timed here: from this call to its
    /// confirmation, once per write, a batch of held messages included.</summary>
    private void Write(ISessionEvent e, int messages, Action? then)
    {
        pendingWrites++;
        var started = settings.Time.GetTimestamp();
        PersistAsync(e, _ =>
        {
            // Before the follow-up, so that a publisher holding its PUBACK finds the write counted.
            BrokerMetrics.SessionWritten(settings.Time.GetElapsedTime(started));
            pendingWrites--;
            eventsSinceSnapshot += messages;
            then?.Invoke();
            if (pendingWrites == 0)
            {
                JournalHeld();
            }

            SnapshotWhenDue();
        });
    }

    /// <summary>Journals the held messages, one event for all of them; their callbacks run in order once it is written.</summary>
    private void JournalHeld()
    {
        if (held is null)
        {
            return;
        }

        switch (held.Count)
        {
            case 0:
                return;
            case 1:
                Write(held[0].Event, 1, held[0].Then);
                break;
            default:
                var batch = held.ToArray();
                Write(new MessagesQueued(Array.ConvertAll(batch, h => h.Event)), batch.Length, () =>
                {
                    foreach (var (_, then) in batch)
                    {
                        then?.Invoke();
                    }
                });
                break;
        }

        held.Clear();
    }

    /// <summary>
    /// A snapshot is only taken with no write pending, so that it holds exactly the journaled events; and only after
    /// at least as many events as it holds messages, so that a long queue is not rewritten every few events.
    /// </summary>
    private void SnapshotWhenDue()
    {
        if (pendingWrites == 0 && journaling && eventsSinceSnapshot >= settings.Persistence.SnapshotEvery
            && eventsSinceSnapshot >= state.QueuedCount + state.InflightCount)
        {
            eventsSinceSnapshot = 0;
            SaveSnapshot(state.ToSnapshot());
        }
    }

    private void OnSnapshotSaved(SaveSnapshotSuccess saved)
    {
        DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
        if (!settings.Persistence.RetainEvents)
        {
            // The event the snapshot was taken at stays: the start-up wake-up finds sessions by their journal's live
            // events, and a session whose every event was deleted would not be woken, so nothing published before its
            // client returned would be stored for it. Recovery replays only what follows the snapshot.
            DeleteMessages(saved.Metadata.SequenceNr - 1);
        }
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // The actor stops (Akka's rule after a failed write) and recovers from the journal on its next message;
        // publishers waiting for this write get no acknowledgement.
        log.Error(cause, "Session {ClientId}: journal write failed ({Event}); the session restarts from its journal", clientId, @event.GetType().Name);
        BrokerMetrics.SessionWriteFailed();
        connection?.Tell(SessionWriteFailed.Instance);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>
    /// Messages that arrive during recovery wait in Akka's internal stash, which a failed recovery discards with the
    /// actor; the senders that expect an answer are noted here so that they hear of the failure instead of timing out.
    /// After every message the broker's gauges are brought up to date (<see cref="Count"/>): here rather than in
    /// OnCommand, since the callbacks of journal writes change the state too (the write of an attach sends the queue)
    /// and run outside it; and the end of a recovery passes here once the actor is no longer recovering.
    /// </summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        if (IsRecovering)
        {
            switch (message)
            {
                case WakeUp:
                    (awaitingRecovery ??= []).Add(Sender);
                    break;
                case AttachSession attach:
                    (awaitingRecovery ??= []).Add(attach.Connection);
                    break;
            }
        }

        var handled = base.AroundReceive(receive, message);
        if (!IsRecovering)
        {
            Count();
            NoteActivity(message);
        }

        return handled;
    }

    /// <summary>
    /// The actor stops after this (Akka's rule), without having touched the topic tree or the journal: the session's
    /// state is unknown, so its client is refused rather than handed an empty session, and the journal stays as it is
    /// for the operator. The next message to this client id tries again.
    /// </summary>
    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        // Akka's own log line would say the same again: not called.
        log.Error(reason, "Session {ClientId}: journal could not be read after event {SequenceNr}; the session stays stopped and its client is refused", clientId, LastSequenceNr);
        foreach (var waiting in awaitingRecovery ?? [])
        {
            waiting.Tell(SessionUnreadable.Instance);
        }

        awaitingRecovery = null;
    }

    /// <summary>Deletes the journal and snapshots once every pending write landed, so that no late event outlives them.</summary>
    private void ForgetJournal()
    {
        ForgetIndex();
        void Delete()
        {
            if (LastSequenceNr > 0)
            {
                DeleteMessages(LastSequenceNr);
                DeleteSnapshots(new SnapshotSelectionCriteria(long.MaxValue));
            }
        }

        JournalHeld();
        if (pendingWrites > 0)
        {
            DeferAsync(StopSession.Instance, _ => Delete());
        }
        else
        {
            Delete();
        }
    }

    private void StopWhenWritten()
    {
        JournalHeld();
        if (pendingWrites > 0)
        {
            DeferAsync(StopSession.Instance, _ => Context.Stop(Self));
        }
        else
        {
            Context.Stop(Self);
        }
    }
}
