using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Connections;

// How a ConnectionActor ends: the DISCONNECT it may send, telling its session, and the one log line.
public sealed partial class ConnectionActor
{
    private void CloseOnError(MqttError? error)
    {
        if (error is not { } e)
        {
            return;
        }

        if (!connAckSent)
        {
            stream!(new OutboundVersion(version));
        }

        Close("protocol error: " + e, publishWill: true, connAckSent ? e.ReasonCode : null, isError: true);
    }

    private void Close(string reason, bool publishWill, ReasonCode? disconnectReason = null, uint? expiry = null, bool isError = false, bool logged = false)
    {
        if (closing)
        {
            return;
        }

        closing = true;

        // The server may tell an MQTT 5 client why, but only once CONNACK went out [MQTT-3.14.0-1].
        if (disconnectReason is { } code && connAckSent && version == MqttProtocolVersion.V500)
        {
            Send(new DisconnectPacket
            {
                ReasonCode = ReasonCodes.IsValidFor(PacketType.Disconnect, code) ? code : ReasonCode.UnspecifiedError,
                Properties = new MqttProperties { ReasonString = reason },
            });
        }

        TellAcknowledged();
        AnswerHeld();
        if (authPending)
        {
            auth.Tell(new AuthenticationAbandoned(Self));
        }

        ReleaseSession(publishWill, expiry);
        if (!logged)
        {
            LogClosed(reason, isError);
        }

        if (online)
        {
            events?.Disconnected(ExtensionClient(), reason);
        }

        FlushUnsent();
        stream?.Invoke(OutboundComplete.Instance);
        Context.Stop(Self);
    }

    /// <summary>Tells the session this connection ended, once. Before SessionAttached came, the session's reference
    /// is not known yet: the shard region takes the message to it, behind the AttachSession.</summary>
    private void ReleaseSession(bool publishWill, uint? expiry)
    {
        if (!holdsSession)
        {
            return;
        }

        holdsSession = false;
        if (publishWill && !willAllowedByExtension && willTopic is { } topic && permissions is { } rules && !rules.MayPublish(topic))
        {
            log.Info("Client {ClientId} (username {UserName}): will to {Topic} dropped: its permissions no longer let it publish there", clientId, userName ?? "(none)", topic);
            willRefused = true;
        }

        if (publishWill && willRefused)
        {
            BrokerMetrics.Dropped(DropReason.NotAuthorized);
            publishWill = false;
        }

        var detach = new DetachSession(Self, publishWill, expiry);
        if (session is { } attached)
        {
            attached.Tell(detach);
        }
        else
        {
            sessionRegion.Tell(new SessionEnvelope(clientId, detach));
        }
    }

    private void LogClosed(string reason, bool isError)
    {
        var who = clientId.Length > 0 ? clientId : "(before CONNECT)";
        if (isError)
        {
            log.Warning("Client {ClientId} from {RemoteEndPoint} closed: {Reason}", who, info.RemoteEndPoint, reason);
        }
        else if (outboundDropped > 0)
        {
            log.Info("Client {ClientId} disconnected from {RemoteEndPoint}: {Reason}; {DroppedQos0} QoS 0 messages were dropped because it read too slowly", who, info.RemoteEndPoint, reason, outboundDropped);
        }
        else
        {
            log.Info("Client {ClientId} disconnected from {RemoteEndPoint}: {Reason}", who, info.RemoteEndPoint, reason);
        }
    }
}
