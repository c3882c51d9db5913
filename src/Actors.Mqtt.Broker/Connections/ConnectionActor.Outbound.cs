using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Connections;

// What ConnectionActor sends its client: deliveries, outbound topic aliases, the batching of packets for the socket, and the answers to paced QoS 0 publishers.
public sealed partial class ConnectionActor
{
    private void Deliver(MqttPacket packet)
    {
        if (packet is PublishPacket publish)
        {
            if (publish.QoS == QualityOfService.AtMostOnce && outboundQueued >= settings.OutboundQueue
                && (socketBlocked || outboundQueued >= BehindCeiling * settings.OutboundQueue))
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
    /// Answers a publisher's mark on a QoS 0 copy, at once unless packets wait for a socket that takes them as fast as they
    /// come: then the broker, not the client, is behind, and the publisher hears only once the queue has drained. A client
    /// that reads slowly has its QoS 0 dropped instead, and never slows a publisher down.
    /// </summary>
    private void AnswerWhenDrained(PaceMark pace)
    {
        if (outboundQueued >= settings.OutboundQueue && !socketBlocked)
        {
            (heldPaces ??= []).Add(pace);
            return;
        }

        pace.Answer();
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
