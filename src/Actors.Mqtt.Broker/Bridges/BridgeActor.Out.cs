using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Topics;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Bridges;

// What goes out: the session's messages for the remote, and the remote's answers to them, which let them leave the
// session's queue (docs/architecture.md, "Bridges").
public sealed partial class BridgeActor
{
    /// <summary>A message of the session for the remote, under the remote topic of the first out topic it matches.</summary>
    private void SendToRemote(PublishPacket publish)
    {
        var topic = bridge.Topics.FirstOrDefault(t => t.Out && TopicMatcher.Matches(t.LocalFilter, publish.Topic));
        if (topic is null)
        {
            // A subscription of the session that is no longer configured: the message goes no further.
            if (publish.QoS != QualityOfService.AtMostOnce)
            {
                session?.Tell(new OutboundDiscarded(publish.PacketId));
            }

            return;
        }

        var packetId = publish.PacketId;
        var qos = publish.QoS;
        client!.PublishAsync(RemoteBroker.ToRemote(publish, topic.ToRemote(publish.Topic))).PipeTo(
            Self,
            success: r => new RemotePublished(packetId, qos, r.IsSuccess, r.ReasonCode.ToString()),
            failure: e => new RemotePublished(packetId, qos, Delivered: false, e.GetBaseException().Message) { Lost = true });
    }

    /// <summary>
    /// The remote's answer to a message that went out: a QoS 1 message leaves the session's queue now; a QoS 2 message,
    /// whose exchange MQTTnet completed with the remote (PUBCOMP), is received and then released, as the session's
    /// flow asks. A message the remote refused (MQTT 5 reason code) leaves the queue too, with a warning, as it would be
    /// refused again; one lost with the connection stays, and goes again when the remote is back.
    /// </summary>
    private void OnRemotePublished(RemotePublished published)
    {
        if (published.Delivered && !published.Lost)
        {
            BrokerMetrics.BridgeMessages.Add(1, outTags);
        }

        if (published.QoS == QualityOfService.AtMostOnce || published.Lost || session is null)
        {
            return;
        }

        if (!published.Delivered)
        {
            log.Warning("Bridge {Bridge}: the remote broker refused message {PacketId} ({Reason}); it is not sent again", bridge.Name, published.PacketId, published.Reason);
        }

        session.Tell(published.QoS == QualityOfService.AtLeastOnce
            ? new OutboundAcknowledged([published.PacketId], [])
            : new OutboundReceived(published.PacketId, ReasonCode.Success));
    }
}
