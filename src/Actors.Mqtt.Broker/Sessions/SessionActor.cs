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
public sealed class SessionActor : ReceivePersistentActor
{
    private readonly string clientId;
    private readonly BrokerSettings settings;
    private readonly IActorRef topicTree;
    private readonly IActorRef retainedStore;
    private readonly SessionState state = new();
    private readonly ILoggingAdapter log = Context.GetLogger();
    private IActorRef? connection;
    private MqttProtocolVersion version = MqttProtocolVersion.V311;
    private ushort window = 1;
    private ICancelable? expiryTimer;
    private ICancelable? willTimer;
    private int droppedSinceLastLog;
    private bool journaling;
    private bool sending;
    private int pendingWrites;

    public SessionActor(string clientId, BrokerSettings settings, IActorRef topicTree, IActorRef retainedStore)
    {
        this.clientId = clientId;
        this.settings = settings;
        this.topicTree = topicTree;
        this.retainedStore = retainedStore;
        Recover<ISessionEvent>(state.Apply);
        Recover<RecoveryCompleted>(_ => OnRecovered());
        Command<AttachSession>(Attach);
        Command<DetachSession>(Detach);
        Command<Terminated>(t => Detach(new DetachSession(t.ActorRef, PublishWill: true, SessionExpiryInterval: null)));
        Command<DeliverMessage>(Deliver);
        Command<RetainedMatches>(OnRetained);
        Command<SubscribeRequest>(Subscribe);
        Command<UnsubscribeRequest>(Unsubscribe);
        Command<OutboundAcknowledged>(OnAcknowledged);
        Command<OutboundReceived>(OnReceived);
        Command<InboundQos2>(OnInboundQos2);
        Command<InboundRelease>(OnInboundRelease);
        Command<SessionExpired>(_ => End());
        Command<WillDelayElapsed>(_ => PublishWill());
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f => log.Warning("Session {ClientId}: journal not deleted: {Reason}", clientId, f.Cause.Message));
    }

    public override string PersistenceId => "session-" + clientId;

    public static Props Props(string clientId, BrokerSettings settings, IActorRef topicTree, IActorRef retainedStore) =>
        Akka.Actor.Props.Create(() => new SessionActor(clientId, settings, topicTree, retainedStore));

    private void OnRecovered()
    {
        journaling = state.ExpiryInterval > 0;
        if (state.Subscriptions.Count > 0)
        {
            topicTree.Tell(new AddSubscriptions(Self, state.Subscriptions.Values.ToList()));
        }
    }

    /// <summary>
    /// Journals the event when the session outlives its connection, then applies it and continues. Events are
    /// applied in the order they were recorded even when journaling starts or stops between them.
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

        if (persist)
        {
            pendingWrites++;
            Persist(e, persisted =>
            {
                pendingWrites--;
                state.Apply(persisted);
                then?.Invoke();
            });
        }
        else if (pendingWrites > 0)
        {
            DeferAsync(e, deferred =>
            {
                state.Apply(deferred);
                then?.Invoke();
            });
        }
        else
        {
            state.Apply(e);
            then?.Invoke();
        }
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
        Context.Watch(connection);

        var present = state.Exists && !attach.CleanStart;
        if (!present)
        {
            if (state.Subscriptions.Count > 0)
            {
                topicTree.Tell(new RemoveClient(clientId));
            }

            if (LastSequenceNr > 0)
            {
                DeleteMessages(LastSequenceNr);
            }

            Record(new SessionStarted(attach.SessionExpiryInterval));
        }
        else if (state.ExpiryInterval != attach.SessionExpiryInterval)
        {
            Record(new ExpiryChanged(attach.SessionExpiryInterval));
        }

        Record(new WillChanged(attach.Will), () =>
        {
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

        if (LastSequenceNr > 0)
        {
            DeleteMessages(LastSequenceNr);
        }

        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    private void Deliver(DeliverMessage message)
    {
        // The topic tree learns of an unsubscribe or a clean start through its guardian, and a publication sent to a
        // subtree directly can overtake that; the session's own subscriptions are the word [MQTT-3.10.4-2].
        if (!state.AnySubscriptionMatches(message.Publish.Message.Topic))
        {
            return;
        }

        var qos = (QualityOfService)Math.Min((int)message.Publish.Message.QoS, (int)message.Delivery.MaximumQoS);

        // Retain As Published is an MQTT 5 option; earlier versions clear RETAIN on forwarded messages.
        var retain = message.Delivery.RetainAsPublished && version == MqttProtocolVersion.V500 && message.Publish.Message.Retain;
        Enqueue(new QueuedMessage(message.Publish, message.Delivery with { MaximumQoS = qos }, retain));
    }

    private void OnRetained(RetainedMatches matches)
    {
        var s = matches.Subscription;
        foreach (var publish in matches.Messages)
        {
            var qos = (QualityOfService)Math.Min((int)publish.Message.QoS, (int)s.MaximumQoS);
            var ids = s.SubscriptionIdentifier is { } id ? new[] { id } : [];

            // Sent because of a new subscription: RETAIN stays set, whatever Retain As Published says [MQTT-3.3.1-9].
            Enqueue(new QueuedMessage(publish, new Delivery(clientId, qos, RetainAsPublished: true, ids), Retain: true));
        }
    }

    private void Enqueue(QueuedMessage message)
    {
        if (message.Delivery.MaximumQoS == QualityOfService.AtMostOnce)
        {
            // QoS 0 is never queued: sent now or not at all (Mosquitto's default, queue_qos0_messages false).
            if (connection is not null && !Expired(message))
            {
                connection.Tell(new SendToClient(BuildPublish(message, packetId: 0, dup: false)));
            }

            return;
        }

        if (connection is null && !journaling)
        {
            return;
        }

        if (state.QueuedCount >= settings.MaxQueuedMessages)
        {
            if (droppedSinceLastLog++ == 0)
            {
                log.Warning("Session {ClientId}: queue full ({Limit} messages), dropping new messages", clientId, settings.MaxQueuedMessages);
            }

            return;
        }

        droppedSinceLastLog = 0;
        Record(new MessageQueued(message), SendQueued);
    }

    /// <summary>
    /// Moves queued messages into flight while the client's receive window has room [MQTT-3.3.4-9]. One message per
    /// step: a journaled step changes the state only once its write is confirmed, so the next step starts from there.
    /// </summary>
    private void SendQueued()
    {
        if (sending || connection is null || state.InflightCount >= window || state.NextQueued is not { } next)
        {
            return;
        }

        sending = true;
        if (Expired(next))
        {
            Record(MessageDropped.Instance, () =>
            {
                sending = false;
                SendQueued();
            });
            return;
        }

        var id = state.NextFreePacketId();
        Record(new MessageSent(id), () =>
        {
            sending = false;
            connection?.Tell(new SendToClient(BuildPublish(next, id, dup: false)));
            SendQueued();
        });
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

    private void OnAcknowledged(OutboundAcknowledged ack)
    {
        if (state.Inflight(ack.PacketId) is not null)
        {
            Record(new MessageAcknowledged(ack.PacketId), SendQueued);
        }
    }

    private void OnReceived(OutboundReceived rec)
    {
        if (state.Inflight(rec.PacketId) is not { } inflight)
        {
            connection?.Tell(new SendToClient(new PubRelPacket { PacketId = rec.PacketId, ReasonCode = ReasonCode.PacketIdentifierNotFound }));
            return;
        }

        // A PUBREC with a failure code ends the exchange: no PUBREL follows [MQTT-4.4.0-2].
        if (ReasonCodes.IsFailure(rec.ReasonCode))
        {
            Record(new MessageAcknowledged(rec.PacketId), SendQueued);
            return;
        }

        if (inflight.Released)
        {
            connection?.Tell(new SendToClient(new PubRelPacket { PacketId = rec.PacketId }));
            return;
        }

        Record(new MessageReceived(rec.PacketId), () => connection?.Tell(new SendToClient(new PubRelPacket { PacketId = rec.PacketId })));
    }

    private void OnInboundQos2(InboundQos2 inbound)
    {
        var id = inbound.Packet.PacketId;
        if (state.HoldsInboundQos2(id))
        {
            // A retry before PUBREL: acknowledge again, deliver nothing twice [MQTT-4.3.3-10].
            Sender.Tell(new SendToClient(new PubRecPacket { PacketId = id }));
            return;
        }

        var replyTo = Sender;
        Record(new Qos2Received(id), () =>
        {
            if (inbound.Packet.Retain)
            {
                retainedStore.Tell(new StoreRetained(inbound.Packet, inbound.ReceivedAt));
            }

            topicTree.Tell(new RoutePublish(inbound.Packet, clientId, inbound.ReceivedAt));
            replyTo.Tell(new SendToClient(new PubRecPacket { PacketId = id }));
        });
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

            var subscription = new Subscription(clientId, filter, requested.MaximumQoS)
            {
                NoLocal = requested.NoLocal,
                RetainAsPublished = requested.RetainAsPublished,
                RetainHandling = requested.RetainHandling,
                SubscriptionIdentifier = identifier,
            };
            var existed = state.Subscriptions.ContainsKey(subscription.FilterText);
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
            topicTree.Tell(new AddSubscriptions(Self, accepted));
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

    private sealed record SessionExpired
    {
        public static readonly SessionExpired Instance = new();
    }

    private sealed record WillDelayElapsed
    {
        public static readonly WillDelayElapsed Instance = new();
    }
}
