using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Connections;

// What ConnectionActor sends its client: deliveries, outbound topic aliases, the batching of packets for the socket, and the answers to paced QoS 0 publishers.
public sealed partial class ConnectionActor
{
    private void Deliver(MqttPacket packet)
    {
        if (packet is PublishPacket publish)
        {
            if (publish.QoS == QualityOfService.AtMostOnce && outboundQueued >= settings.OutboundQueue
                && (outboundQueued >= BehindCeiling * settings.OutboundQueue || Stalled()))
            {
                outboundDropped++;
                BrokerMetrics.Dropped(DropReason.SlowReader);
                events?.Dropped(clientId, publish.Topic, DropReason.SlowReader);
                return;
            }

            // A packet larger than the client accepts is dropped as if sent [MQTT-3.1.2-25]; so is one it may not read.
            if (Undeliverable(publish) is { } reason)
            {
                BrokerMetrics.Dropped(reason);
                events?.Dropped(clientId, publish.Topic, reason);
                if (publish.QoS != QualityOfService.AtMostOnce)
                {
                    session?.Tell(new OutboundDiscarded(publish.PacketId));
                }

                return;
            }

            BrokerMetrics.PublishSent(publish.QoS);
            packet = WithOutboundAlias(publish);
        }

        Send(packet);
    }

    /// <summary>Why this client may not get the PUBLISH, if it may not: its permissions first, since a message the client
    /// may not read is refused whatever its size.</summary>
    private DropReason? Undeliverable(PublishPacket publish)
    {
        if (permissions is { } rules && !rules.MayReceive(publish.Topic))
        {
            return DropReason.NotAuthorized;
        }

        return clientMaximumPacketSize is { } max && MqttPacketEncoder.GetSize(publish, version) > max ? DropReason.TooLarge : null;
    }

    /// <summary>
    /// MQTT 5: the first topics sent on this connection get an alias, up to the client's Topic Alias Maximum
    /// [MQTT-3.3.2-11]; later messages to them carry the alias and an empty topic name.
    /// </summary>
    private PublishPacket WithOutboundAlias(PublishPacket publish)
    {
        if (clientTopicAliasMaximum == 0)
        {
            return publish;
        }

        var properties = publish.Properties ?? MqttProperties.Empty;
        outboundAliases ??= new(StringComparer.Ordinal);
        if (outboundAliases.TryGetValue(publish.Topic, out var alias))
        {
            return publish with { Topic = string.Empty, Properties = properties.WithTopicAlias(alias) };
        }

        if (outboundAliases.Count >= clientTopicAliasMaximum)
        {
            return publish;
        }

        alias = (ushort)(outboundAliases.Count + 1);
        outboundAliases[publish.Topic] = alias;
        return publish with { Properties = properties.WithTopicAlias(alias) };
    }

    private void Send(MqttPacket packet)
    {
        if (outboundQueued++ == 0 && unsent is null)
        {
            stream!(new OutboundPacket(packet));
            return;
        }

        if (unsent is null)
        {
            unsent = [];
            Self.Tell(FlushOutbound.Instance);
        }

        unsent.Add(packet);
    }

    private void FlushUnsent()
    {
        if (unsent is { } packets)
        {
            unsent = null;
            stream!(new OutboundPackets(packets));
        }
    }

    /// <summary>
    /// Answers a publisher's mark on a QoS 0 copy, at once unless the outbound queue is full: then the publisher hears
    /// only once the queue has drained, so publishers go as fast as their slowest reading subscriber, as Mosquitto's do
    /// (its one thread reads them only as fast as it writes). A client whose socket took nothing for
    /// <see cref="BrokerSettings.StallAfter"/> has stopped reading: until it has caught up to half its queue, it answers
    /// at once and its QoS 0 is dropped, so it holds the others up once for that long, and a client that reads a packet
    /// now and then does not hold them up again with each one.
    /// </summary>
    private void AnswerWhenDrained(PaceMark pace)
    {
        if (outboundQueued < settings.OutboundQueue || Stalled())
        {
            pace.Answer();
            return;
        }

        (heldPaces ??= []).Add(pace);
        if (socketBlocked && !Timers.IsTimerActive(StallTimer))
        {
            Timers.StartSingleTimer(StallTimer, StallCheck.Instance, StallRemaining());
        }
    }

    /// <summary>Whether the client stopped reading: its socket has taken nothing for <see cref="BrokerSettings.StallAfter"/>,
    /// now or since its queue was last under half.</summary>
    private bool Stalled()
    {
        if (!stalled && socketBlocked && StallRemaining() <= TimeSpan.Zero)
        {
            stalled = true;
            log.Debug("Client {ClientId}: its socket took nothing for {StallAfter}; its QoS 0 is dropped beyond the outbound queue until it catches up", clientId, settings.StallAfter);
            AnswerHeld();
        }

        return stalled;
    }

    private TimeSpan StallRemaining() =>
        settings.StallAfter - TimeSpan.FromMilliseconds(settings.Time.Milliseconds() - blockedSince);

    /// <summary>The socket took nothing since a mark was held: once that lasted long enough, the publishers go on.</summary>
    private void OnStallCheck()
    {
        if (!Stalled() && socketBlocked && heldPaces is not null)
        {
            Timers.StartSingleTimer(StallTimer, StallCheck.Instance, StallRemaining());
        }
    }

    private void AnswerHeld()
    {
        if (heldPaces is { } held)
        {
            heldPaces = null;
            foreach (var pace in held)
            {
                pace.Answer();
            }
        }
    }
}
