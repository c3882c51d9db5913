using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Security;
using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;

namespace Actors.Mqtt.Broker.Routing;

/// <summary>
/// The retained message of every topic that has one: set by a PUBLISH with RETAIN [MQTT-3.3.1-5], cleared by one
/// with an empty payload [MQTT-3.3.1-6], handed to new subscriptions that match. With a durable store every change
/// is journaled before the publisher that made it is told (through <see cref="StoreRetained.Confirm"/>).
/// </summary>
public sealed class RetainedStoreActor : ReceivePersistentActor
{
    private readonly RetainedMessageIndex<RoutePublish> index = new();
    private readonly List<KeyValuePair<string, RoutePublish>> matches = [];
    private readonly StoreSettings settings;
    private readonly TimeProvider time;
    private readonly ILoggingAdapter log = Context.GetLogger();
    private int pendingWrites;
    private int eventsSinceSnapshot;

    // What this incarnation added to BrokerMetrics.RetainedMessages; the supervisor's next one recovers and adds its own.
    private int counted;

    public RetainedStoreActor(StoreSettings settings, TimeProvider time)
    {
        this.settings = settings;
        this.time = time;
        Recover<SnapshotOffer>(offer =>
        {
            foreach (var message in ((RetainedSnapshot)offer.Snapshot).Messages)
            {
                index.Set(message.Message.Topic, message);
            }

            CountRetained();
        });
        Recover<IRetainedEvent>(Apply);
        Command<StoreRetained>(Store);
        Command<QueryRetained>(query =>
        {
            foreach (var subscription in query.Subscriptions)
            {
                matches.Clear();
                index.Match(subscription.Filter, matches);
                var live = matches.Select(m => m.Value).Where(m => !Expired(m)).ToList();
                Sender.Tell(new RetainedMatches(subscription, live));
            }
        });
        Command<SaveSnapshotSuccess>(saved =>
        {
            DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1));
            if (!settings.RetainEvents)
            {
                DeleteMessages(saved.Metadata.SequenceNr);
            }
        });
        Command<SaveSnapshotFailure>(f => log.Warning("Retained store: snapshot not saved: {Reason}", f.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => log.Warning("Retained store: old events not deleted: {Reason}", f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => log.Warning("Retained store: old snapshots not deleted: {Reason}", f.Cause.Message));
    }

    public override string PersistenceId => "retained";

    public static Props Props(StoreSettings settings, TimeProvider time) => Akka.Actor.Props.Create(() => new RetainedStoreActor(settings, time));

    /// <summary>
    /// The store behind a supervisor that starts it again after it stopped (a failed write stops a persistent actor, and
    /// so does a failed recovery while the database is still away), waiting longer each time up to half a minute. While
    /// it is stopped, retained messages are neither stored (their publishers wait for confirm-timeout and are told the
    /// message failed) nor handed to new subscriptions.
    /// </summary>
    public static Props SupervisedProps(StoreSettings settings, TimeProvider time) =>
        BackoffSupervisor.Props(Backoff.OnStop(Props(settings, time), "store", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), randomFactor: 0.2, maxNrOfRetries: -1));

    private void Store(StoreRetained store)
    {
        // An empty retained message is never stored; it only removes the one before [MQTT-3.3.1-7].
        IRetainedEvent e = store.Message.Payload.IsEmpty
            ? new RetainedCleared(store.Message.Topic)
            : new RetainedSet(new RoutePublish(store.Message with { Dup = false, PacketId = 0 }, null, store.ReceivedAt));
        Apply(e);
        var confirm = store.Confirm;

        // The broker's own $SYS topics are published again every interval after a restart: not worth a write each.
        if (!settings.IsDurable || BrokerTopics.IsBrokerOwned(store.Message.Topic))
        {
            confirm?.To.Tell(new WriteConfirmed(confirm.Id, Stored: true));
            return;
        }

        pendingWrites++;
        var started = time.GetTimestamp();
        PersistAsync(e, _ =>
        {
            // Before the confirmation, so that a publisher holding its PUBACK finds the write counted.
            BrokerMetrics.RetainedWritten(time.GetElapsedTime(started));
            pendingWrites--;
            eventsSinceSnapshot++;
            confirm?.To.Tell(new WriteConfirmed(confirm.Id, Stored: true));
            if (pendingWrites == 0 && eventsSinceSnapshot >= settings.SnapshotEvery)
            {
                eventsSinceSnapshot = 0;
                SaveSnapshot(new RetainedSnapshot(index.All().Where(m => !BrokerTopics.IsBrokerOwned(m.Message.Topic)).ToList()));
            }
        });
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        log.Error(cause, "Retained store: journal write failed; it starts again from its journal after a backoff");
        BrokerMetrics.RetainedWriteFailed();
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    private void Apply(IRetainedEvent e)
    {
        switch (e)
        {
            case RetainedSet set:
                index.Set(set.Message.Message.Topic, set.Message);
                break;
            case RetainedCleared cleared:
                index.Clear(cleared.Topic);
                break;
        }

        CountRetained();
    }

    private void CountRetained()
    {
        if (index.Count != counted)
        {
            BrokerMetrics.RetainedMessages.Add(index.Count - counted);
            counted = index.Count;
        }
    }

    protected override void PostStop()
    {
        BrokerMetrics.RetainedMessages.Add(-counted);
        base.PostStop();
    }

    private bool Expired(RoutePublish message) =>
        message.Message.Properties?.MessageExpiryInterval is { } interval
        && (time.Milliseconds() - message.ReceivedAt) / 1000 >= interval;
}
