using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Topics;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Connections;

// What ConnectionActor does with packets from its client: PUBLISH (QoS 1 and 2 acknowledgements after the durable writes), topic aliases, routing, and when to read the socket again.
public sealed partial class ConnectionActor
{
    /// <summary>
    /// Passes on the PUBACK and PUBCOMP packets read since the last call as one message, so that the session journals
    /// them as one event; called at the end of each read and before any other packet, which keeps their order.
    /// </summary>
    private void TellAcknowledged()
    {
        if ((pubAcks is not null || pubComps is not null) && session is { } to)
        {
            to.Tell(new OutboundAcknowledged(pubAcks ?? [], pubComps ?? []));
            pubAcks = null;
            pubComps = null;
        }
    }

    private void Handle(MqttFrame frame)
    {
        if (frame.Type == PacketType.Publish)
        {
            topicCache ??= new Utf8StringCache();
        }

        if (!MqttPacketDecoder.TryDecode(frame, version, out var packet, out var error, topicCache))
        {
            CloseOnError(error);
            return;
        }

        if (packet is not (PubAckPacket or PubCompPacket))
        {
            TellAcknowledged();
        }

        switch (packet)
        {
            case PublishPacket publish:
                OnPublish(publish);
                break;
            case PubAckPacket ack:
                (pubAcks ??= []).Add(ack.PacketId);
                break;
            case PubRecPacket rec:
                session!.Tell(new OutboundReceived(rec.PacketId, rec.ReasonCode));
                break;
            case PubCompPacket comp:
                (pubComps ??= []).Add(comp.PacketId);
                break;
            case PubRelPacket rel:
                inboundQos2?.Remove(rel.PacketId);
                session!.Tell(new InboundRelease(rel.PacketId));
                break;
            case SubscribePacket subscribe:
                OnSubscribe(subscribe);
                break;
            case UnsubscribePacket unsubscribe:
                session!.Tell(new UnsubscribeRequest(unsubscribe));
                break;
            case PingReqPacket:
                Send(PingRespPacket.Instance);
                break;
            case DisconnectPacket disconnect:
                OnDisconnect(disconnect);
                break;
            case ConnectPacket:
                // A second CONNECT is a protocol error [MQTT-3.1.0-2].
                CloseOnError(new MqttError(ReasonCode.ProtocolError, "second CONNECT on one connection", "MQTT-3.1.0-2"));
                break;
            default:
                CloseOnError(new MqttError(ReasonCode.ProtocolError, $"{packet!.Type} is not sent by a client"));
                break;
        }
    }

    private void OnPublish(PublishPacket publish)
    {
        BrokerMetrics.PublishReceived(publish.QoS);
        if (publish.Properties is { } properties)
        {
            if (properties.SubscriptionIdentifiers.Count > 0)
            {
                CloseOnError(new MqttError(ReasonCode.ProtocolError, "PUBLISH from a client carries a subscription identifier", "MQTT-3.3.4-6"));
                return;
            }

            if (properties.TopicAlias is { } alias && !TryResolveAlias(ref publish, alias))
            {
                return;
            }
        }

        if (settings.MaxTopicLevels > 0 && TopicLevels.Count(publish.Topic) > settings.MaxTopicLevels)
        {
            log.Debug("Client {ClientId}: PUBLISH to {Topic} has more than {MaxTopicLevels} topic levels (actors-mqtt.limits.max-topic-levels): dropped", clientId, publish.Topic, settings.MaxTopicLevels);
            RefusePublish(publish, ReasonCode.TopicNameInvalid);
            return;
        }

        AdmitPublish(publish);
    }

    /// <summary>A PUBLISH that passed the checks of its packet: who may publish it decides whether it is routed.
    /// The operator's extensions are asked first, then the client's permissions (the ACL file's, or an extension's)
    /// decide when they had no opinion.</summary>
    private void AdmitPublish(PublishPacket publish)
    {
        var refusal = BrokerTopics.IsBrokerOwned(publish.Topic) ? ReasonCode.NotAuthorized : (ReasonCode?)null;
        if (refusal is null)
        {
            if (!TryPublishVerdict(publish, out var verdict))
            {
                return;
            }

            refusal = verdict switch
            {
                Denied denied => denied.ReasonCode,
                Allowed => null,
                _ => permissions is { } rules && !rules.MayPublish(publish.Topic) ? ReasonCode.NotAuthorized : null,
            };
        }

        if (refusal is { } code)
        {
            log.Debug("Client {ClientId} (username {UserName}) may not publish to {Topic}: dropped", clientId, userName ?? "(none)", publish.Topic);
            BrokerMetrics.Dropped(DropReason.NotAuthorized);
            events?.Dropped(clientId, publish.Topic, DropReason.NotAuthorized);
            RefusePublish(publish, code);
            return;
        }

        var readAt = settings.Time.GetTimestamp();
        var now = settings.Time.Milliseconds(readAt);
        switch (publish.QoS)
        {
            case QualityOfService.AtMostOnce:
                publisher.Publish(publish, clientId, now, pace: pacer.Next(now) is { } seq ? new PaceMark(Self, seq) : null);
                break;
            case QualityOfService.AtLeastOnce:
                // PUBACK once every durable session that matched, and the retained store, wrote the message.
                var id = acks.AddPubAck(publish.PacketId, BrokerPublisher.RetainedWrites(publish), now, readAt);
                StartAckTimer();
                publisher.Publish(publish, clientId, now, new Confirmation(Self, id));
                break;
            default:
                inboundQos2 ??= [];
                if (!inboundQos2.Contains(publish.PacketId) && inboundQos2.Count >= settings.ReceiveMaximum)
                {
                    CloseOnError(new MqttError(ReasonCode.ReceiveMaximumExceeded, $"more than {settings.ReceiveMaximum} QoS 2 messages unreleased"));
                    return;
                }

                // A retry of a message whose PUBREC is still on its way gets that PUBREC, not a second one.
                if (acks.OwesPubRec(publish.PacketId))
                {
                    return;
                }

                inboundQos2.Add(publish.PacketId);
                acks.AddPubRec(publish.PacketId, now, readAt);
                StartAckTimer();
                session!.Tell(new InboundQos2(publish, now));
                break;
        }
    }

    private void StartAckTimer()
    {
        if (!Timers.IsTimerActive(AckTimer))
        {
            Timers.StartPeriodicTimer(AckTimer, AckTimeoutCheck.Instance, TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Sends the acknowledgements that are due, oldest first; one whose write failed is refused instead.</summary>
    private void SendReadyAcks()
    {
        while (!closing && acks.TryTakeReady(out var ready))
        {
            if (ready.Decided is { } decided)
            {
                Send(ready.Kind == PacketType.PubAck
                    ? new PubAckPacket { PacketId = ready.PacketId, ReasonCode = decided }
                    : new PubRecPacket { PacketId = ready.PacketId, ReasonCode = decided });
                continue;
            }

            if (ready.Failed)
            {
                // A write that did not land in time may land later, and subscribers may have the message already, so an
                // answer of failure could be untrue. Without any answer the client sends the message again after
                // reconnecting: QoS 1 may then arrive twice, which it allows; QoS 2 is routed again under the same key,
                // and the subscribers that have it, or finished it, skip it.
                log.Warning("Client {ClientId}: message {PacketId} not acknowledged: not every session or store confirmed its write within {ConfirmTimeout}; closing so that the client sends it again", clientId, ready.PacketId, settings.Persistence.ConfirmTimeout);
                Close("a message could not be stored in time", publishWill: false, ReasonCode.ServerBusy);
                return;
            }

            // Only MQTT 5 can say that nobody subscribed; the message was still accepted (Mosquitto and EMQX say it too).
            var code = ready.NoSubscribers && version == MqttProtocolVersion.V500 ? ReasonCode.NoMatchingSubscribers : ReasonCode.Success;

            // Measured before the packet leaves, so that a client holding its PUBACK finds it counted.
            if (ready.DurableReadAt is { } readAt)
            {
                BrokerMetrics.PublishAcknowledged(
                    ready.Kind == PacketType.PubAck ? QualityOfService.AtLeastOnce : QualityOfService.ExactlyOnce,
                    settings.Time.GetElapsedTime(readAt));
            }

            Send(ready.Kind == PacketType.PubAck
                ? new PubAckPacket { PacketId = ready.PacketId, ReasonCode = code }
                : new PubRecPacket { PacketId = ready.PacketId, ReasonCode = code });
        }

        if (inboundWaiting && !closing && acks.Count < settings.ReceiveMaximum && outboundQueued <= settings.OutboundQueue / 2)
        {
            inboundWaiting = false;
            AckInbound();
        }
    }

    /// <summary>
    /// A PUBLISH the extensions, the client's permissions or a limit do not allow is dropped. MQTT 5 says why in PUBACK
    /// or PUBREC, which ends a QoS 2 exchange; 3.1 and 3.1.1 have no way to say it, so the message is acknowledged as usual [MQTT-3.3.5-2 (3.1.1)],
    /// as Mosquitto does.
    /// </summary>
    private void RefusePublish(PublishPacket publish, ReasonCode reason)
    {
        if (publish.QoS == QualityOfService.AtMostOnce)
        {
            return;
        }

        // In turn behind the acknowledgements still waiting for writes [MQTT-4.6.0-2].
        var code = version == MqttProtocolVersion.V500 ? reason : ReasonCode.Success;
        acks.AddDecided(publish.PacketId, publish.QoS == QualityOfService.AtLeastOnce ? PacketType.PubAck : PacketType.PubRec, code);
        SendReadyAcks();
    }

    /// <summary>Which filters of a SUBSCRIBE the client's permissions refuse, by position; null when it refuses none.</summary>
    private bool[]? DeniedFilters(SubscribePacket subscribe, IClientPermissions rules)
    {
        bool[]? denied = null;
        for (var i = 0; i < subscribe.Subscriptions.Count; i++)
        {
            // An invalid filter is left to the session, which answers it as invalid.
            if (TopicFilter.TryParse(subscribe.Subscriptions[i].TopicFilter, version == MqttProtocolVersion.V500, out var filter, out _)
                && !rules.MaySubscribe(filter.Filter))
            {
                denied ??= new bool[subscribe.Subscriptions.Count];
                denied[i] = true;
                log.Debug("Client {ClientId} (username {UserName}) may not subscribe to {Filter}", clientId, userName ?? "(none)", filter.Filter);
            }
        }

        return denied;
    }

    private bool TryResolveAlias(ref PublishPacket publish, ushort alias)
    {
        if (alias > settings.TopicAliasMaximum)
        {
            CloseOnError(new MqttError(ReasonCode.TopicAliasInvalid, $"topic alias {alias} is above the maximum {settings.TopicAliasMaximum}"));
            return false;
        }

        if (publish.Topic.Length > 0)
        {
            (inboundAliases ??= [])[alias] = publish.Topic;
            return true;
        }

        if (inboundAliases is null || !inboundAliases.TryGetValue(alias, out var topic))
        {
            CloseOnError(new MqttError(ReasonCode.ProtocolError, $"topic alias {alias} was never set on this connection"));
            return false;
        }

        publish = publish with { Topic = topic };
        return true;
    }

    private void OnDisconnect(DisconnectPacket disconnect)
    {
        uint? expiry = null;
        if (disconnect.Properties?.SessionExpiryInterval is { } requested)
        {
            if (sessionExpiry == 0 && requested != 0)
            {
                CloseOnError(new MqttError(ReasonCode.ProtocolError, "DISCONNECT sets a session expiry on a session that had none"));
                return;
            }

            expiry = settings.SessionExpiryFor(requested);
        }

        // Only a normal disconnection discards the will [MQTT-3.14.4-3].
        var publishWill = disconnect.ReasonCode != ReasonCode.NormalDisconnection;
        Close($"client sent DISCONNECT ({disconnect.ReasonCode})", publishWill, expiry: expiry);
    }

    /// <summary>
    /// Handles a frame now, or keeps it, in order, behind a packet that waits for the extensions' answer, or behind the
    /// QoS 0 PUBLISH whose mark used up the pacer's window: a batch of a fast publisher holds hundreds of packets, and
    /// routing them all before it pauses would run the slow subscribers' queues past their ceiling.
    /// </summary>
    private void HandleInTurn(MqttFrame frame)
    {
        if (awaitingVerdict is not null || !pacer.MayRead || heldFrames is { Count: > 0 })
        {
            (heldFrames ??= new Queue<MqttFrame>()).Enqueue(frame);
            if (!pacer.MayRead)
            {
                WaitForPace();
            }

            return;
        }

        Handle(frame);
    }

    /// <summary>Handles the frames kept back while nothing holds them any more; then reads on if the batch waited for
    /// them.</summary>
    private void ResumeHeld()
    {
        while (!closing && awaitingVerdict is null && pacer.MayRead && heldFrames is { Count: > 0 } held)
        {
            Handle(held.Dequeue());
        }

        if (!pacer.MayRead && heldFrames is { Count: > 0 })
        {
            WaitForPace();
        }

        TellAcknowledged();
        if (!closing && awaitingVerdict is null && heldFrames is not { Count: > 0 } && inboundAckOwed)
        {
            inboundAckOwed = false;
            AckInbound();
        }
    }

    private void AckInbound()
    {
        // Reading on would let the packets behind one that waits pile up here.
        if (awaitingVerdict is not null || heldFrames is { Count: > 0 })
        {
            inboundAckOwed = true;
            return;
        }

        // Acknowledgements waiting for writes are bounded like the client's packets in flight: while receive-maximum of
        // them wait, nothing more is read (a 3.1.1 client, which has no Receive Maximum, is slowed down the same way).
        if (outboundQueued >= settings.OutboundQueue || acks.Count >= settings.ReceiveMaximum)
        {
            inboundWaiting = true;
            return;
        }

        if (!pacer.MayRead)
        {
            WaitForPace();
            return;
        }

        stream?.Invoke(InboundAck.Instance);
    }

    private void WaitForPace()
    {
        inboundPaced = true;
        if (!Timers.IsTimerActive(PaceTimer))
        {
            Timers.StartSingleTimer(PaceTimer, PaceTimedOut.Instance, settings.PaceTimeout);
        }
    }

    private void ResumePaced()
    {
        if (inboundPaced && pacer.MayRead && !closing)
        {
            inboundPaced = false;
            Timers.Cancel(PaceTimer);
            if (heldFrames is { Count: > 0 })
            {
                ResumeHeld();
            }
            else
            {
                AckInbound();
            }
        }
    }
}
