using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Topics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;

namespace Actors.Mqtt.Broker.Sessions;

/// <summary>
/// The session of one client id (a Cluster.Sharding entity): its subscriptions, the QoS 1 and 2 messages queued
/// and in flight towards the client, the inbound QoS 2 packet ids awaiting PUBREL, the will and the expiry.
/// A session that outlives its connection journals every change (<see cref="ISessionEvent"/>); a clean session
/// journals nothing. The connection actor owns the socket; this actor decides what goes to the client.
/// </summary>
public sealed class SessionActor : UntypedPersistentActor
{
    private readonly string clientId;
    private readonly BrokerSettings settings;
    private readonly IActorRef topicTree;
    private readonly IActorRef retainedStore;
    private readonly SessionState state = new();
    private readonly ILoggingAdapter log = SharedLogs.For<SessionActor>(Context);
    private IActorRef? connection;
    private MqttProtocolVersion version = MqttProtocolVersion.V311;
    private ushort window = 1;
    private ICancelable? expiryTimer;
    private ICancelable? willTimer;

    // Inbound QoS 2 messages being routed, by route id and by packet id; made at the first one, as most sessions have none.
    private Dictionary<long, PendingRoute>? routes;
    // Packet ids being routed, with the connection to answer: the latest to send the PUBLISH, so that a retry from a new
    // connection while the route still runs gets the PUBREC.
    private Dictionary<ushort, IActorRef>? routing;
    private long lastRouteId;
    private ICancelable? routeSweep;
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

    public SessionActor(string clientId, BrokerSettings settings, IActorRef topicTree, IActorRef retainedStore)
    {
        this.clientId = clientId;
        PersistenceId = PersistenceIdPrefix + clientId;
        this.settings = settings;
        this.topicTree = topicTree;
        this.retainedStore = retainedStore;
    }

    /// <summary>A session's journal is named after its client id with this in front.</summary>
    public const string PersistenceIdPrefix = "session-";

    // Akka reads it for every event written: made once, not per write.
    public override string PersistenceId { get; }

    public static Props Props(string clientId, BrokerSettings settings, IActorRef topicTree, IActorRef retainedStore) =>
        Akka.Actor.Props.Create(() => new SessionActor(clientId, settings, topicTree, retainedStore));

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
        switch (message)
        {
            case WakeUp:
                {
                    Sender.Tell(SessionAwake.Instance);
                    StopIfEmpty();
                    return;
                }

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
                UpdateRoute(counted.Id, r => r with { Writes = r.Writes + counted.Writes, Counted = true, NoSubscribers = !counted.Matched });
                return;

            case WriteConfirmed confirmed:
                UpdateRoute(confirmed.Id, r => r with
                {
                    Writes = r.Counted ? r.Writes : r.Writes + confirmed.RoutedWrites,
                    Counted = r.Counted || confirmed.RoutedWrites > 0,
                    Confirmed = r.Confirmed + 1,
                    Failed = r.Failed || !confirmed.Stored,
                });
                return;

            case SweepRoutes:
                SweepExpiredRoutes();
                return;

            case SessionExpired:
                End();
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

            case DeleteMessagesSuccess:
                return;

            case DeleteMessagesFailure f:
                log.Warning("Session {ClientId}: journal not deleted: {Reason}", clientId, f.Cause.Message);
                return;

            default:
                Unhandled(message);
                return;
        }
    }

    private void OnRecovered()
    {
        journaling = state.Exists && state.ExpiryInterval > 0;
        if (!state.Exists)
        {
            return;
        }

        if (state.Subscriptions.Count > 0)
        {
            topicTree.Tell(new AddSubscriptions(Self, state.Subscriptions.Values.ToList(), journaling));
        }

        if (!journaling)
        {
            // Its expiry became 0 and the broker stopped before the journal was deleted.
            End();
            return;
        }

        // Recovered without a connection: the broker restarted. A session that was attached then lost its
        // connection now; its expiry and the delay of its will count from here.
        var since = state.DetachedAt ?? DateTimeOffset.UtcNow;
        if (state.DetachedAt is null)
        {
            Record(new SessionDetached(since));
        }

        CountDownOffline(since);
    }

    /// <summary>Starts the timers of an offline session from the moment it lost its connection.</summary>
    private void CountDownOffline(DateTimeOffset since)
    {
        var now = DateTimeOffset.UtcNow;
        var expiry = state.ExpiryInterval;
        if (state.Will is { } will)
        {
            var delay = Math.Min(will.Properties?.WillDelayInterval ?? 0, expiry);
            var due = since + TimeSpan.FromSeconds(delay) - now;
            if (due <= TimeSpan.Zero)
            {
                PublishWill();
            }
            else
            {
                willTimer = Context.System.Scheduler.ScheduleTellOnceCancelable(due, Self, WillDelayElapsed.Instance, Self);
            }
        }

        if (expiry == uint.MaxValue)
        {
            return;
        }

        var left = since + TimeSpan.FromSeconds(expiry) - now;
        if (left <= TimeSpan.Zero)
        {
            End();
        }
        else
        {
            expiryTimer = Context.System.Scheduler.ScheduleTellOnceCancelable(left, Self, SessionExpired.Instance, Self);
        }
    }

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

    private void Write(ISessionEvent e, int messages, Action? then)
    {
        pendingWrites++;
        PersistAsync(e, _ =>
        {
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
        connection?.Tell(SessionWriteFailed.Instance);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>
    /// Messages that arrive during recovery wait in Akka's internal stash, which a failed recovery discards with the
    /// actor; the senders that expect an answer are noted here so that they hear of the failure instead of timing out.
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

        return base.AroundReceive(receive, message);
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

    private void Attach(AttachSession attach)
    {
        if (connection is not null && !connection.Equals(attach.Connection))
        {
            Context.Unwatch(connection);
            connection.Tell(SessionTakenOver.Instance);

            // The connection taken over loses its will as if it had dropped; a will with a delay is not due, since a
            // new connection arrived within it [MQTT-3.1.3-9].
            if (state.Will is { } oldWill && (oldWill.Properties?.WillDelayInterval ?? 0) == 0)
            {
                PublishWill();
            }
        }

        expiryTimer?.Cancel();
        expiryTimer = null;

        // A reconnect before the will delay elapsed means the will is not sent [MQTT-3.1.3-9].
        willTimer?.Cancel();
        willTimer = null;

        connection = attach.Connection;
        version = attach.Version;
        window = Math.Max((ushort)1, Math.Min(attach.ClientReceiveMaximum, settings.MaxInflightMessages));
        // A connection on this node tells the session when it ends, from its PostStop at the latest; one on another node
        // may go down with its node, and only death watch tells of that.
        if (!connection.Path.Address.HasLocalScope)
        {
            Context.Watch(connection);
        }

        // A session without expiry ends with the connection just taken over: a persistent CONNECT starts a new one, which
        // is journaled from its start and so recovers as it is.
        var present = state.Exists && !attach.CleanStart && state.ExpiryInterval > 0;
        if (!present)
        {
            if (state.Subscriptions.Count > 0)
            {
                topicTree.Tell(new RemoveClient(clientId));
            }

            ForgetJournal();
            Record(new SessionStarted(attach.SessionExpiryInterval));
        }
        else
        {
            var wasJournaling = journaling;
            if (state.ExpiryInterval != attach.SessionExpiryInterval)
            {
                Record(new ExpiryChanged(attach.SessionExpiryInterval));
            }

            if (journaling != wasJournaling && state.Subscriptions.Count > 0)
            {
                topicTree.Tell(new AddSubscriptions(Self, state.Subscriptions.Values.ToList(), journaling));
            }

            if (state.DetachedAt is not null)
            {
                Record(SessionResumed.Instance);
            }
        }

        Record(new WillChanged(attach.Will), () =>
        {
            // Taken over, or gone, before the write landed: that connection was told (or needs nothing), and the
            // connection now attached gets its own answer.
            if (!attach.Connection.Equals(connection))
            {
                return;
            }

            attach.Connection.Tell(new SessionAttached(Self, present));
            if (present)
            {
                Redeliver();
            }

            SendQueued();
        });
    }

    /// <summary>On reconnect, unacknowledged PUBLISH and PUBREL go again with their original ids [MQTT-4.4.0-1].</summary>
    private void Redeliver()
    {
        foreach (var inflight in state.InflightInOrder())
        {
            connection!.Tell(new SendToClient(inflight.Released
                ? new PubRelPacket { PacketId = inflight.PacketId }
                : BuildPublish(inflight.Message, inflight.PacketId, dup: true)));
        }
    }

    private void Detach(DetachSession detach)
    {
        if (connection is null || !connection.Equals(detach.Connection))
        {
            return;
        }

        Context.Unwatch(connection);
        connection = null;

        // Decided on the new expiry itself: a journaled change reaches the state only when its write is confirmed.
        var expiry = detach.SessionExpiryInterval ?? state.ExpiryInterval;
        if (expiry != state.ExpiryInterval)
        {
            Record(new ExpiryChanged(expiry));
        }

        if (journaling && expiry > 0)
        {
            Record(new SessionDetached(DateTimeOffset.UtcNow));
        }

        var will = state.Will;
        if (!detach.PublishWill && will is not null)
        {
            Record(new WillChanged(null));
        }

        if (detach.PublishWill && will is not null)
        {
            var delay = will.Properties?.WillDelayInterval ?? 0;
            if (delay == 0 || expiry == 0)
            {
                PublishWill();
            }
            else
            {
                // The will goes when its delay elapses or the session ends, whichever comes first [MQTT-3.1.2-8].
                willTimer = Context.System.Scheduler.ScheduleTellOnceCancelable(
                    TimeSpan.FromSeconds(Math.Min(delay, expiry)), Self, WillDelayElapsed.Instance, Self);
            }
        }

        if (expiry == 0)
        {
            End();
        }
        else if (expiry != uint.MaxValue)
        {
            expiryTimer = Context.System.Scheduler.ScheduleTellOnceCancelable(
                TimeSpan.FromSeconds(expiry), Self, SessionExpired.Instance, Self);
        }
    }

    private void PublishWill()
    {
        willTimer = null;
        if (state.Will is not { } will)
        {
            return;
        }

        var message = new PublishPacket
        {
            Topic = will.Topic,
            Payload = will.Payload,
            QoS = will.QoS,
            Retain = will.Retain,
            Properties = WillMessageProperties(will.Properties),
        };
        var now = Environment.TickCount64;
        if (will.Retain)
        {
            retainedStore.Tell(new StoreRetained(message, now));
        }

        topicTree.Tell(new RoutePublish(message, clientId, now));
        Record(new WillChanged(null));
    }

    /// <summary>The will's properties minus the will delay, which is not a property of the message it becomes.</summary>
    private static MqttProperties? WillMessageProperties(MqttProperties? p) => p is null
        ? null
        : new MqttProperties
        {
            PayloadFormatIndicator = p.PayloadFormatIndicator,
            MessageExpiryInterval = p.MessageExpiryInterval,
            ContentType = p.ContentType,
            ResponseTopic = p.ResponseTopic,
            CorrelationData = p.CorrelationData,
            UserProperties = p.UserProperties,
        };

    private void End()
    {
        expiryTimer?.Cancel();
        if (willTimer is not null)
        {
            willTimer.Cancel();
            PublishWill();
        }

        if (state.Subscriptions.Count > 0)
        {
            topicTree.Tell(new RemoveClient(clientId));
        }

        ForgetJournal();
        Context.Parent.Tell(new Passivate(StopSession.Instance));
    }

    /// <summary>Deletes the journal and snapshots once every pending write landed, so that no late event outlives them.</summary>
    private void ForgetJournal()
    {
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

    /// <summary>A session woken by a message without ever having begun (or after it ended) has nothing to keep.</summary>
    private void StopIfEmpty()
    {
        if (!state.Exists && connection is null)
        {
            Context.Parent.Tell(new Passivate(StopSession.Instance));
        }
    }

    private void Deliver(DeliverMessage message)
    {
        var confirm = message.MustConfirm ? message.Publish.Confirm : null;
        Action? confirmed = confirm is null ? null : () => confirm.To.Tell(new WriteConfirmed(confirm.Id, Stored: true, message.RoutedWrites));

        // The topic tree learns of an unsubscribe or a clean start through its guardian, and a publication sent to a
        // subtree directly can overtake that; the session's own subscriptions are the word [MQTT-3.10.4-2].
        if (!state.AnySubscriptionMatches(message.Publish.Message.Topic))
        {
            confirmed?.Invoke();
            message.Pace?.Answer();
            StopIfEmpty();
            return;
        }

        // Routed again after a restart or a failed route: where it arrived before, whether it is still here or already
        // done, it does not arrive twice [MQTT-4.3.3-10].
        var key = message.Publish.MessageKey;
        if (message.Publish.Rerouted && key != 0 && (state.HoldsMessage(key) || state.Finished(key)))
        {
            confirmed?.Invoke();
            return;
        }

        var qos = (QualityOfService)Math.Min((int)message.Publish.Message.QoS, (int)message.Delivery.MaximumQoS);

        // Retain As Published is an MQTT 5 option; earlier versions clear RETAIN on forwarded messages.
        var retain = message.Delivery.RetainAsPublished && version == MqttProtocolVersion.V500 && message.Publish.Message.Retain;
        Enqueue(new QueuedMessage(message.Publish, message.Delivery with { MaximumQoS = qos }, retain), confirmed, message.Pace);
    }

    private void OnRetained(RetainedMatches matches)
    {
        var s = matches.Subscription;
        foreach (var publish in matches.Messages)
        {
            var qos = (QualityOfService)Math.Min((int)publish.Message.QoS, (int)s.MaximumQoS);
            var ids = s.SubscriptionIdentifier is { } id ? new[] { id } : [];

            // Sent because of a new subscription: RETAIN stays set, whatever Retain As Published says [MQTT-3.3.1-9].
            Enqueue(new QueuedMessage(publish, new Delivery(clientId, qos, RetainAsPublished: true, ids), Retain: true), null);
        }
    }

    /// <summary>Queues a QoS 1 or 2 message (QoS 0 goes now or never); <paramref name="done"/> runs once the session
    /// has the message for good, or has decided not to keep it. A <paramref name="pace"/> mark only comes with QoS 0,
    /// and goes on with the copy to the connection, which answers it.</summary>
    private void Enqueue(QueuedMessage message, Action? done, PaceMark? pace = null)
    {
        if (message.Delivery.MaximumQoS == QualityOfService.AtMostOnce)
        {
            // QoS 0 is never queued: sent now or not at all (Mosquitto's default, queue_qos0_messages false).
            if (connection is not null && !Expired(message))
            {
                connection.Tell(new SendToClient(BuildPublish(message, packetId: 0, dup: false)) { Pace = pace });
                state.SentOnce(message.Publish.MessageKey);
            }
            else
            {
                pace?.Answer();
            }

            done?.Invoke();
            return;
        }

        if (connection is null && !journaling)
        {
            done?.Invoke();
            return;
        }

        var overMessages = state.QueuedCount >= settings.MaxQueuedMessages;
        if (overMessages || (settings.MaxQueuedBytes > 0 && state.QueuedBytes + message.Publish.Message.Payload.Length > settings.MaxQueuedBytes))
        {
            // The newest message is the one refused (Mosquitto's policy); QoS 0 never reaches a queue.
            droppedTotal++;
            BrokerMetrics.QueuedMessagesDropped.Add(1, new KeyValuePair<string, object?>("limit", overMessages ? "max-queued-messages" : "max-queued-bytes"));
            // The first refusal is logged at once, the ones after it at most once a minute, with what was refused between.
            droppedSinceLastLog++;
            if (lastDropLog is not { } last || Environment.TickCount64 - last >= 60_000)
            {
                log.Warning(
                    "Session {ClientId}: queue full ({Messages} messages, {Bytes} bytes; limits {MaxMessages} and {MaxBytes}), dropped {Dropped} new messages since the last report, {Total} in all",
                    [clientId, state.QueuedCount, state.QueuedBytes, settings.MaxQueuedMessages, settings.MaxQueuedBytes, droppedSinceLastLog, droppedTotal]);
                lastDropLog = Environment.TickCount64;
                droppedSinceLastLog = 0;
            }

            done?.Invoke();
            return;
        }

        // Nothing waits ahead of it and the client's window has room: queued and sent are one event.
        if (connection is { } to && state.QueuedCount == 0 && state.InflightCount < window && !Expired(message))
        {
            var id = state.NextFreePacketIds(1)[0];
            Record(new MessageQueued(message, SentAs: id), Send(to, [message], [id], done));
            return;
        }

        Record(new MessageQueued(message), done);
        SendQueued();
    }

    /// <summary>
    /// Moves queued messages into flight while the client's receive window has room [MQTT-3.3.4-9], as many as fit in
    /// one event.
    /// </summary>
    private void SendQueued()
    {
        while (connection is { } to && state.InflightCount < window && state.NextQueued is { } next)
        {
            if (Expired(next))
            {
                Record(MessageDropped.Instance);
                continue;
            }

            var messages = state.SendableHead(window - state.InflightCount, Expired);
            var ids = state.NextFreePacketIds(messages.Count);
            Record(new MessageSent(ids), Send(to, messages, ids));
        }
    }

    /// <summary>
    /// Sends the PUBLISH packets that may go before the event that puts them in flight is journaled, and returns what
    /// sends the rest, and runs <paramref name="done"/>, once it is.
    /// </summary>
    /// <remarks>
    /// A QoS 1 PUBLISH goes at once: should the broker die before the write lands, the journal still has the message
    /// queued (or its publisher, not yet acknowledged, sends it again), and it goes again after the restart, which
    /// QoS 1 allows. A QoS 2 PUBLISH waits for the write, since sent again under a new packet id it would arrive twice;
    /// and while one waits, every later one waits behind it, so that none overtakes another [MQTT-4.6.0-6]. Without
    /// this, every window of a draining queue waited for a journal write.
    /// </remarks>
    private Action? Send(IActorRef to, List<QueuedMessage> messages, ushort[] ids, Action? done = null)
    {
        var early = 0;
        if (sendsAwaitingWrite == 0)
        {
            while (early < messages.Count && messages[early].Delivery.MaximumQoS == QualityOfService.AtLeastOnce)
            {
                to.Tell(new SendToClient(BuildPublish(messages[early], ids[early], dup: false)));
                early++;
            }
        }

        var late = messages.Count - early;
        if (late == 0)
        {
            return done;
        }

        sendsAwaitingWrite += late;
        return () =>
        {
            sendsAwaitingWrite -= late;
            for (var i = early; i < ids.Length; i++)
            {
                to.Tell(new SendToClient(BuildPublish(messages[i], ids[i], dup: false)));
            }

            done?.Invoke();
        };
    }

    private static bool Expired(QueuedMessage message) => RemainingExpiry(message) is 0;

    /// <summary>Seconds left of the message expiry interval, or null when the message does not expire.</summary>
    private static uint? RemainingExpiry(QueuedMessage message)
    {
        if (message.Publish.Message.Properties?.MessageExpiryInterval is not { } interval)
        {
            return null;
        }

        var waited = (Environment.TickCount64 - message.Publish.ReceivedAt) / 1000;
        return waited >= interval ? 0 : (uint)(interval - waited);
    }

    /// <summary>The PUBLISH as this client gets it: its QoS and RETAIN, its subscription ids, the expiry left [MQTT-3.3.2-6].</summary>
    private PublishPacket BuildPublish(QueuedMessage message, ushort packetId, bool dup)
    {
        var original = message.Publish.Message;
        return new PublishPacket
        {
            Topic = original.Topic,
            Payload = original.Payload,
            QoS = message.Delivery.MaximumQoS,
            Retain = message.Retain,
            Dup = dup,
            PacketId = packetId,
            Properties = version == MqttProtocolVersion.V500 ? ForwardedProperties(original.Properties, message) : null,
        };
    }

    /// <summary>Properties passed on unchanged, except the topic alias (per connection) and the subscription ids (per receiver).</summary>
    private static MqttProperties? ForwardedProperties(MqttProperties? p, QueuedMessage message)
    {
        var ids = message.Delivery.SubscriptionIdentifiers;
        if (p is null && ids.Count == 0)
        {
            return null;
        }

        return new MqttProperties
        {
            PayloadFormatIndicator = p?.PayloadFormatIndicator,
            MessageExpiryInterval = RemainingExpiry(message),
            ContentType = p?.ContentType,
            ResponseTopic = p?.ResponseTopic,
            CorrelationData = p?.CorrelationData,
            UserProperties = p?.UserProperties ?? [],
            SubscriptionIdentifiers = ids,
        };
    }

    /// <summary>
    /// A PUBACK must name a QoS 1 message, a PUBCOMP a QoS 2 message whose PUBREL went out; anything else is a protocol
    /// error that closes the connection (as Mosquitto does), and the messages stay in flight for the next one. An id not
    /// in flight at all (a late duplicate) is ignored.
    /// </summary>
    private void OnAcknowledged(OutboundAcknowledged ack)
    {
        foreach (var id in ack.PubAcks)
        {
            if (state.Inflight(id) is { } inflight && inflight.Message.Delivery.MaximumQoS != QualityOfService.AtLeastOnce)
            {
                Sender.Tell(new ProtocolViolation(new MqttError(ReasonCode.ProtocolError, $"PUBACK for QoS 2 message {id}")));
                return;
            }
        }

        foreach (var id in ack.PubComps)
        {
            if (state.Inflight(id) is { } inflight && (inflight.Message.Delivery.MaximumQoS != QualityOfService.ExactlyOnce || !inflight.Released))
            {
                var why = inflight.Released ? $"PUBCOMP for QoS 1 message {id}" : $"PUBCOMP for message {id} before its PUBREL";
                Sender.Tell(new ProtocolViolation(new MqttError(ReasonCode.ProtocolError, why)));
                return;
            }
        }

        Complete([.. ack.PubAcks, .. ack.PubComps]);
    }

    private void Complete(IEnumerable<ushort> packetIds)
    {
        var done = packetIds.Where(id => state.Inflight(id) is not null).Distinct().ToArray();
        if (done.Length > 0)
        {
            // The next messages need not wait for this write: their MessageSent is journaled after it, and their
            // PUBLISH packets go once that later write landed, so a packet id freed here is reused only then.
            Record(new MessageAcknowledged(done));
            SendQueued();
        }
    }

    private void OnReceived(OutboundReceived rec)
    {
        if (state.Inflight(rec.PacketId) is not { } inflight)
        {
            connection?.Tell(new SendToClient(new PubRelPacket { PacketId = rec.PacketId, ReasonCode = ReasonCode.PacketIdentifierNotFound }));
            return;
        }

        if (inflight.Message.Delivery.MaximumQoS != QualityOfService.ExactlyOnce)
        {
            Sender.Tell(new ProtocolViolation(new MqttError(ReasonCode.ProtocolError, $"PUBREC for QoS 1 message {rec.PacketId}")));
            return;
        }

        // A PUBREC with a failure code ends the exchange: no PUBREL follows [MQTT-4.4.0-2].
        if (ReasonCodes.IsFailure(rec.ReasonCode))
        {
            Record(new MessageAcknowledged([rec.PacketId]));
            SendQueued();
            return;
        }

        if (inflight.Released)
        {
            connection?.Tell(new SendToClient(new PubRelPacket { PacketId = rec.PacketId }));
            return;
        }

        Record(new MessageReceived(rec.PacketId), () => connection?.Tell(new SendToClient(new PubRelPacket { PacketId = rec.PacketId })));
    }

    /// <summary>
    /// An inbound QoS 2 PUBLISH. Its packet id is journaled with a key for the message first, then the message is
    /// routed, and PUBREC goes once every durable session that matched has written it: a restart at any point either
    /// forgets the message (no PUBREC was sent, the client sends it again) or routes it again under the same key,
    /// which sessions that have it already skip [MQTT-4.3.3-10].
    /// </summary>
    private void OnInboundQos2(InboundQos2 inbound)
    {
        var id = inbound.Packet.PacketId;
        var replyTo = Sender;
        if (state.InboundQos2(id) is { } held)
        {
            if (held.Routed)
            {
                // A retry before PUBREL: acknowledge again, deliver nothing twice.
                replyTo.Tell(new InboundQos2Done(id, ReasonCode.Success));
            }
            else if (routing is null || !routing.ContainsKey(id))
            {
                Route(inbound, held.MessageKey, rerouted: true, replyTo);
            }
            else
            {
                routing[id] = replyTo;
            }

            return;
        }

        var key = Random.Shared.NextInt64(1, long.MaxValue);
        (routing ??= [])[id] = replyTo;
        Record(new Qos2Received(id, key), () => Route(inbound, key, rerouted: false, routing?.GetValueOrDefault(id) ?? replyTo));
    }

    private void Route(InboundQos2 inbound, long key, bool rerouted, IActorRef replyTo)
    {
        var packet = inbound.Packet;
        var routeId = ++lastRouteId;
        var confirm = new Confirmation(Self, routeId);
        (routing ??= [])[packet.PacketId] = replyTo;
        (routes ??= [])[routeId] = new PendingRoute(packet.PacketId, Writes: packet.Retain ? 1 : 0, Counted: false, Confirmed: 0, Failed: false, Environment.TickCount64);
        if (packet.Retain)
        {
            retainedStore.Tell(new StoreRetained(packet, inbound.ReceivedAt) { Confirm = confirm });
        }

        topicTree.Tell(new RoutePublish(packet, clientId, inbound.ReceivedAt) { Confirm = confirm, MessageKey = key, Rerouted = rerouted });
        routeSweep ??= Context.System.Scheduler.ScheduleTellRepeatedlyCancelable(
            settings.Persistence.ConfirmTimeout, settings.Persistence.ConfirmTimeout, Self, SweepRoutes.Instance, Self);
    }

    private void UpdateRoute(long routeId, Func<PendingRoute, PendingRoute> update)
    {
        if (routes is null || !routes.TryGetValue(routeId, out var route))
        {
            return;
        }

        route = update(route);
        if (!route.Counted || route.Confirmed < route.Writes)
        {
            routes[routeId] = route;
            return;
        }

        FinishRoute(routeId, route);
    }

    private void FinishRoute(long routeId, PendingRoute route)
    {
        routes!.Remove(routeId);
        var replyTo = routing is not null && routing.Remove(route.PacketId, out var latest) ? latest : ActorRefs.Nobody;
        if (routes.Count == 0)
        {
            routeSweep?.Cancel();
            routeSweep = null;
        }

        if (!route.Failed)
        {
            var code = route.NoSubscribers ? ReasonCode.NoMatchingSubscribers : ReasonCode.Success;
            Record(new Qos2Routed(route.PacketId), () => replyTo.Tell(new InboundQos2Done(route.PacketId, code)));
            return;
        }

        // The connection closes without a PUBREC; the client sends the PUBLISH again after reconnecting and finds the id
        // held with its key, so the message is routed again and reaches only the subscribers that lack it.
        log.Warning("Session {ClientId}: inbound QoS 2 message {PacketId} not stored by every subscriber in time", clientId, route.PacketId);
        replyTo.Tell(new InboundQos2Done(route.PacketId, ReasonCode.UnspecifiedError));
    }

    private void SweepExpiredRoutes()
    {
        var limit = (long)settings.Persistence.ConfirmTimeout.TotalMilliseconds;
        foreach (var (routeId, route) in (routes ?? []).Where(r => Environment.TickCount64 - r.Value.StartedAt > limit).ToList())
        {
            FinishRoute(routeId, route with { Failed = true });
        }
    }

    private void OnInboundRelease(InboundRelease release)
    {
        var replyTo = Sender;
        if (!state.HoldsInboundQos2(release.PacketId))
        {
            replyTo.Tell(new SendToClient(new PubCompPacket { PacketId = release.PacketId, ReasonCode = ReasonCode.PacketIdentifierNotFound }));
            return;
        }

        Record(new Qos2Released(release.PacketId), () => replyTo.Tell(new SendToClient(new PubCompPacket { PacketId = release.PacketId })));
    }

    private void Subscribe(SubscribeRequest request)
    {
        var packet = request.Packet;
        var identifier = packet.Properties?.SubscriptionIdentifiers is [var id, ..] ? id : (int?)null;
        var accepted = new List<Subscription>(packet.Subscriptions.Count);
        var codes = new List<ReasonCode>(packet.Subscriptions.Count);
        var fresh = new List<Subscription>();
        var added = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < packet.Subscriptions.Count; i++)
        {
            var requested = packet.Subscriptions[i];
            if (request.Denied is { } denied && denied[i])
            {
                codes.Add(ReasonCode.NotAuthorized);
                continue;
            }

            if (!TopicFilter.TryParse(requested.TopicFilter, version == MqttProtocolVersion.V500, out var filter, out _))
            {
                codes.Add(ReasonCode.TopicFilterInvalid);
                continue;
            }

            if (settings.MaxTopicLevels > 0 && TopicLevels.Count(filter.Filter) > settings.MaxTopicLevels)
            {
                log.Warning("Session {ClientId}: SUBSCRIBE filter {Filter} has more than {MaxTopicLevels} topic levels (actors-mqtt.limits.max-topic-levels): refused", clientId, requested.TopicFilter, settings.MaxTopicLevels);
                codes.Add(ReasonCode.TopicFilterInvalid);
                continue;
            }

            var subscription = new Subscription(clientId, filter, requested.MaximumQoS)
            {
                NoLocal = requested.NoLocal,
                RetainAsPublished = requested.RetainAsPublished,
                RetainHandling = requested.RetainHandling,
                SubscriptionIdentifier = identifier,
            };
            var existed = state.Subscriptions.ContainsKey(subscription.FilterText);
            if (!existed && !added.Contains(subscription.FilterText)
                && settings.MaxSubscriptions > 0 && state.Subscriptions.Count + added.Count >= settings.MaxSubscriptions)
            {
                log.Warning("Session {ClientId}: SUBSCRIBE filter {Filter} refused: the session holds {MaxSubscriptions} subscriptions (actors-mqtt.limits.max-subscriptions)", clientId, requested.TopicFilter, settings.MaxSubscriptions);
                codes.Add(ReasonCode.QuotaExceeded);
                continue;
            }

            if (!existed)
            {
                added.Add(subscription.FilterText);
            }

            accepted.Add(subscription);
            codes.Add((ReasonCode)(byte)requested.MaximumQoS);

            // Retained messages go to a new subscription, or to any with Retain Handling 0; never to a shared one.
            var wantsRetained = requested.RetainHandling == RetainHandling.SendAtSubscribe
                || (requested.RetainHandling == RetainHandling.SendAtSubscribeIfNew && !existed);
            if (wantsRetained && !filter.IsShared)
            {
                fresh.Add(subscription);
            }
        }

        var replyTo = Sender;
        Record(new Subscribed(accepted), () =>
        {
            topicTree.Tell(new AddSubscriptions(Self, accepted, journaling));
            replyTo.Tell(new SendToClient(new SubAckPacket { PacketId = packet.PacketId, ReasonCodes = codes }));
            if (fresh.Count > 0)
            {
                retainedStore.Tell(new QueryRetained(fresh));
            }
        });
    }

    private void Unsubscribe(UnsubscribeRequest request)
    {
        var packet = request.Packet;
        var codes = packet.TopicFilters
            .Select(f => state.Subscriptions.ContainsKey(f) ? ReasonCode.Success : ReasonCode.NoSubscriptionExisted)
            .ToList();
        var replyTo = Sender;
        Record(new Unsubscribed(packet.TopicFilters), () =>
        {
            topicTree.Tell(new RemoveSubscriptions(clientId, packet.TopicFilters));
            replyTo.Tell(new SendToClient(new UnsubAckPacket { PacketId = packet.PacketId, ReasonCodes = codes }));
        });
    }

    /// <summary>An inbound QoS 2 message on its way to the sessions and stores that must write it before PUBREC.</summary>
    private sealed record PendingRoute(ushort PacketId, int Writes, bool Counted, int Confirmed, bool Failed, long StartedAt)
    {
        public bool NoSubscribers { get; init; }
    }

    private sealed record SweepRoutes
    {
        public static readonly SweepRoutes Instance = new();
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
