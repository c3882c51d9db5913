using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Topics;
using Akka.Actor;
using Akka.Event;
using MQTTnet;

namespace Actors.Mqtt.Broker.Bridges;

// What comes in: the remote's messages, routed into the broker and acknowledged to the remote in order once every
// durable subscriber wrote them (docs/architecture.md, "Bridges").
public sealed partial class BridgeActor
{
    /// <summary>A message from the remote enters the broker as any client's PUBLISH does, under its local topic.</summary>
    private void Route(PublishPacket remote, MqttApplicationMessageReceivedEventArgs received)
    {
        var topic = bridge.Topics.FirstOrDefault(t => t.In && TopicMatcher.Matches(t.RemoteFilter, remote.Topic));
        var local = topic?.ToLocal(remote.Topic);
        if (local is null || BrokerTopics.IsBrokerOwned(local))
        {
            // Not asked for (an old subscription of the remote session), or for a topic only this broker writes ($SYS
            // without a local prefix): acknowledged, so that it does not come again, and dropped.
            log.Debug("Bridge {Bridge}: message to {Topic} from the remote broker dropped: {Reason}", bridge.Name, remote.Topic, local is null ? "no in topic matches it" : $"{local} is the broker's own");
            Acknowledge(received);
            return;
        }

        var publish = remote with { Topic = local };
        var readAt = settings.Time.GetTimestamp();
        var now = settings.Time.Milliseconds(readAt);
        BrokerMetrics.BridgeMessages.Add(1, inTags);
        if (publish.QoS == QualityOfService.AtMostOnce)
        {
            publisher.Publish(publish, bridge.LocalClientId, now);
            return;
        }

        // The remote's packet id is unique among its messages in flight to the bridge; a retry comes only after a
        // reconnect, when the entries of the connection before are gone.
        var packetId = received.PacketIdentifier;
        unacknowledged[packetId] = received;
        var id = acks.AddPubAck(packetId, BrokerPublisher.RetainedWrites(publish), now, readAt);
        if (!Timers.IsTimerActive(AckTimer))
        {
            Timers.StartPeriodicTimer(AckTimer, AckTimeoutCheck.Instance, TimeSpan.FromSeconds(1));
        }

        // As the bridge's own client id: the local session's No Local keeps it from going back out.
        publisher.Publish(publish, bridge.LocalClientId, now, new Confirmation(Self, id));
    }

    /// <summary>Acknowledges to the remote, in the order the messages came, those whose writes are all done.</summary>
    private void SendReadyAcks()
    {
        while (acks.TryTakeReady(out var ready))
        {
            if (!unacknowledged.Remove(ready.PacketId, out var received))
            {
                continue;
            }

            if (ready.Failed)
            {
                // As a connection does: no answer, and the remote sends the message again after the reconnect.
                log.Warning("Bridge {Bridge}: message {PacketId} from the remote broker not acknowledged: not every session or store confirmed its write within {ConfirmTimeout}; reconnecting so that it comes again", bridge.Name, ready.PacketId, settings.Persistence.ConfirmTimeout);
                _ = client?.DisconnectAsync();
                return;
            }

            Acknowledge(received);
        }
    }

    private void Acknowledge(MqttApplicationMessageReceivedEventArgs received) =>
        received.AcknowledgeAsync(CancellationToken.None).PipeTo(Self, success: () => AckSent.Instance, failure: e => new AckFailed(e.GetBaseException().Message));
}
