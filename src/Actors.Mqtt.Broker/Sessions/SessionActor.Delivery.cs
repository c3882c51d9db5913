using Actors.Mqtt.Broker.Bridges;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Sessions;

// Messages from SessionActor to its client: queueing, the receive window, sending, and the client's acknowledgements.
public sealed partial class SessionActor
{
    private void Deliver(DeliverMessage message)
    {
        var confirm = message.MustConfirm ? message.Publish.Confirm : null;
        Action? confirmed = confirm is null ? null : () => confirm.To.Tell(new WriteConfirmed(confirm.Id, Stored: true, message.RoutedWrites));
        var qos = (QualityOfService)Math.Min((int)message.Publish.Message.QoS, (int)message.Delivery.MaximumQoS);

        // A copy picked for a shared group that this session cannot take goes back to be handed to another member.
        Action? refused = message.SharedBy is { } subtree && qos != QualityOfService.AtMostOnce
            ? () => subtree.Tell(new SharedDeliveryRefused(message))
            : null;

        // The topic tree learns of an unsubscribe or a clean start through its guardian, and a publication sent to a
        // subtree directly can overtake that; the session's own subscriptions are the word [MQTT-3.10.4-2].
        if (!state.AnySubscriptionMatches(message.Publish.Message.Topic))
        {
            (refused ?? confirmed)?.Invoke();
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

        // Retain As Published is an MQTT 5 option; earlier versions clear RETAIN on forwarded messages.
        var retain = message.Delivery.RetainAsPublished && version == MqttProtocolVersion.V500 && message.Publish.Message.Retain;
        Enqueue(new QueuedMessage(message.Publish, message.Delivery with { MaximumQoS = qos }, retain), confirmed, message.Pace, refused);
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
    /// and goes on with the copy to the connection, which answers it. A copy for a shared group that the session
    /// cannot keep is handed back with <paramref name="refuse"/> instead of dropped.</summary>
    private void Enqueue(QueuedMessage message, Action? done, PaceMark? pace = null, Action? refuse = null)
    {
        if (message.Delivery.MaximumQoS == QualityOfService.AtMostOnce)
        {
            // QoS 0 is never queued: sent now or not at all (Mosquitto's default, queue_qos0_messages false).
            if (connection is null)
            {
                pace?.Answer();
            }
            else if (Expired(message))
            {
                BrokerMetrics.Dropped(DropReason.Expired);
                events?.Dropped(clientId, message.Publish.Message.Topic, DropReason.Expired);
                pace?.Answer();
            }
            else
            {
                connection.Tell(new SendToClient(BuildPublish(message, packetId: 0, dup: false)) { Pace = pace });
                state.SentOnce(message.Publish.MessageKey);
            }

            done?.Invoke();
            return;
        }

        if (connection is null && !journaling)
        {
            (refuse ?? done)?.Invoke();
            return;
        }

        var (maxMessages, maxBytes) = QueueLimits();
        var overMessages = state.QueuedCount >= maxMessages;
        if (overMessages || (maxBytes > 0 && state.QueuedBytes + message.Publish.Message.Payload.Length > maxBytes))
        {
            if (refuse is not null)
            {
                refuse();
                return;
            }

            // The newest message is the one refused (Mosquitto's policy); QoS 0 never reaches a queue.
            droppedTotal++;
            BrokerMetrics.Dropped(overMessages ? DropReason.MaxQueuedMessages : DropReason.MaxQueuedBytes);
            events?.Dropped(clientId, message.Publish.Message.Topic, overMessages ? DropReason.MaxQueuedMessages : DropReason.MaxQueuedBytes);
            // The first refusal is logged at once, the ones after it at most once a minute, with what was refused between.
            droppedSinceLastLog++;
            var now = settings.Time.Milliseconds();
            if (lastDropLog is not { } last || now - last >= 60_000)
            {
                log.Warning(
                    "Session {ClientId}: queue full ({Messages} messages, {Bytes} bytes; limits {MaxMessages} and {MaxBytes}), dropped {Dropped} new messages since the last report, {Total} in all",
                    [clientId, state.QueuedCount, state.QueuedBytes, maxMessages, maxBytes, droppedSinceLastLog, droppedTotal]);
                lastDropLog = now;
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
            // The one place an expired message leaves the queue, so it is counted once: it stays queued until it is at
            // the head with a client connected (for one that expired while the client was away, when it comes back).
            if (Expired(next))
            {
                BrokerMetrics.Dropped(DropReason.Expired);
                events?.Dropped(clientId, next.Publish.Message.Topic, DropReason.Expired);
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

    /// <summary>The limits of this session's queue: a bridge's own where it sets them, else every session's.</summary>
    private (int Messages, long Bytes) QueueLimits()
    {
        if (clientId.StartsWith(BridgeSettings.ClientIdPrefix, StringComparison.Ordinal)
            && settings.Bridges.FirstOrDefault(b => b.LocalClientId == clientId) is { } bridge)
        {
            return (bridge.MaxQueuedMessages ?? settings.MaxQueuedMessages, bridge.MaxQueuedBytes ?? settings.MaxQueuedBytes);
        }

        return (settings.MaxQueuedMessages, settings.MaxQueuedBytes);
    }

    private bool Expired(QueuedMessage message) => RemainingExpiry(message) is 0;

    /// <summary>Seconds left of the message expiry interval, or null when the message does not expire.</summary>
    private uint? RemainingExpiry(QueuedMessage message)
    {
        if (message.Publish.Message.Properties?.MessageExpiryInterval is not { } interval)
        {
            return null;
        }

        var waited = (settings.Time.Milliseconds() - message.Publish.ReceivedAt) / 1000;
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
    private MqttProperties? ForwardedProperties(MqttProperties? p, QueuedMessage message)
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
}
