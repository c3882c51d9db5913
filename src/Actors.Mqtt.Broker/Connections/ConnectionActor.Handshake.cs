using Actors.Mqtt.Broker.Bridges;
using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Topics;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Connections;

// The CONNECT handshake of ConnectionActor: authentication, waiting for the session, the CONNACK, refusals.
public sealed partial class ConnectionActor
{
    private void OnConnect(MqttFrame frame, MqttError? pendingError)
    {
        if (!MqttPacketDecoder.TryDecode(frame, version, out var decoded, out var error))
        {
            RefuseConnect(frame, error);
            return;
        }

        var connect = (ConnectPacket)decoded!;
        if (info.CertificateIdentity is { } identity)
        {
            connect = connect with { UserName = identity };
        }

        version = connect.ProtocolVersion;
        stream!(new OutboundVersion(version));

        clientId = connect.ClientId;

        // Enhanced authentication (AUTH exchanges) is not offered, so no method a client names is supported [MQTT-4.12.0-1].
        if (connect.Properties?.AuthenticationMethod is { } method)
        {
            Refuse(ReasonCode.BadAuthenticationMethod, $"authentication method {method} is not supported");
            return;
        }

        // The sessions of bridges (docs/configuration.md, "Bridges"): a client taking one over would cut its bridge off.
        if (clientId.StartsWith(BridgeSettings.ClientIdPrefix, StringComparison.Ordinal))
        {
            Refuse(ReasonCode.ClientIdentifierNotValid, $"client ids beginning with {BridgeSettings.ClientIdPrefix} belong to bridges");
            return;
        }

        var assigned = false;
        if (clientId.Length == 0)
        {
            // 3.1 requires a client id, and 3.1.1 assigns one only to a clean session [MQTT-3.1.3-8 (3.1.1)].
            if (version == MqttProtocolVersion.V310 || (version == MqttProtocolVersion.V311 && !connect.CleanSession))
            {
                Refuse(ReasonCode.ClientIdentifierNotValid, "empty client id without a clean session");
                return;
            }

            clientId = "auto-" + Guid.NewGuid().ToString("N");
            assigned = true;
        }

        var requestedExpiry = version == MqttProtocolVersion.V500
            ? connect.Properties?.SessionExpiryInterval ?? 0
            : connect.CleanSession ? 0 : uint.MaxValue;
        sessionExpiry = settings.SessionExpiryFor(requestedExpiry);
        sessionExpiryImposed = version == MqttProtocolVersion.V500 && sessionExpiry != requestedExpiry;
        clientMaximumPacketSize = connect.Properties?.MaximumPacketSize;
        clientTopicAliasMaximum = connect.Properties?.TopicAliasMaximum ?? 0;
        keepAlive = connect.KeepAliveSeconds;
        if (settings.MaxKeepAlive > 0 && version == MqttProtocolVersion.V500 && (keepAlive == 0 || keepAlive > settings.MaxKeepAlive))
        {
            keepAlive = settings.MaxKeepAlive;
            keepAliveImposed = true;
        }

        assignedClientId = assigned;
        userName = connect.UserName;
        cleanStart = connect.CleanSession;
        authPending = true;
        Become(m => AwaitingAuth(m, connect, pendingError));
        auth.Tell(new Authenticate(info, clientId, userName, connect.Password?.ToArray(), Self, version));
    }

    /// <summary>
    /// The client is in: its will is checked as a PUBLISH to its topic would be, then its session is asked for.
    /// <paramref name="willVerdict"/> is what the authorizing extensions said of the will; the client's permissions
    /// decide when they had no opinion.
    /// </summary>
    private void AttachSession(ConnectPacket connect, MqttError? pendingError, Verdict willVerdict)
    {
        // Mosquitto accepts such a CONNECT and never publishes the will; dropping it here has the same effect. A will
        // deeper than max-topic-levels is dropped the same way, as a PUBLISH to its topic would be.
        var will = connect.Will;
        willAllowedByExtension = willVerdict is Allowed;
        if (will is { } w && (BrokerTopics.IsBrokerOwned(w.Topic) || willVerdict is Denied
            || (!willAllowedByExtension && permissions is { } rules && !rules.MayPublish(w.Topic))))
        {
            log.Info("Client {ClientId} (username {UserName}): will to {Topic} dropped: the client may not publish there", clientId, userName ?? "(none)", w.Topic);
            will = null;
            willRefused = true;
        }
        else if (will is { } deep && settings.MaxTopicLevels > 0 && TopicLevels.Count(deep.Topic) > settings.MaxTopicLevels)
        {
            log.Warning("Client {ClientId}: will topic {Topic} has more than {MaxTopicLevels} levels (actors-mqtt.limits.max-topic-levels): the will is dropped", clientId, deep.Topic, settings.MaxTopicLevels);
            will = null;
        }

        willTopic = will?.Topic;
        Become(m => AwaitingSession(m, pendingError));
        holdsSession = true;
        attachRequest = new SessionEnvelope(clientId, new AttachSession(
            clientId,
            Self,
            version,
            connect.CleanSession,
            sessionExpiry,
            will,
            connect.Properties?.ReceiveMaximum ?? ushort.MaxValue));
        sessionRegion.Tell(attachRequest);
    }

    /// <summary>This client as extensions are told of it.</summary>
    private ExtensionClient ExtensionClient() => new(clientId, userName, info.ListenerName, info.RemoteEndPoint, version);

    private void UsePermissions(IClientPermissions? given)
    {
        permissions = given is ClientAcl rules && newestAcl is { File: { } file } newer && newer.Generation > rules.Generation
            ? file.For(rules.ClientId, rules.UserName, newer.Generation)
            : given;
    }

    /// <summary>What the authorizing extensions said of the will of CONNECT.</summary>
    private sealed record WillAnswered(ChainAnswer Answer);

    private ConnAckPacket BuildConnAck(bool sessionPresent)
    {
        if (version != MqttProtocolVersion.V500)
        {
            return new ConnAckPacket { SessionPresent = sessionPresent };
        }

        return new ConnAckPacket
        {
            SessionPresent = sessionPresent,
            Properties = new MqttProperties
            {
                AssignedClientIdentifier = assignedClientId ? clientId : null,
                ReceiveMaximum = settings.ReceiveMaximum,
                TopicAliasMaximum = settings.TopicAliasMaximum > 0 ? settings.TopicAliasMaximum : null,
                MaximumPacketSize = (uint)settings.MaxPacketSize,
                ServerKeepAlive = keepAliveImposed ? keepAlive : null,

                // The server's own expiry, when it is not the one asked for.
                SessionExpiryInterval = sessionExpiryImposed ? sessionExpiry : null,
            },
        };
    }

    /// <summary>A CONNECT that did not decode: tell the client why in its own version where it can be told.</summary>
    private void RefuseConnect(MqttFrame frame, MqttError error)
    {
        var level = ConnectProbe.ProtocolLevel(frame.Body.IsSingleSegment ? frame.Body.FirstSpan : System.Buffers.BuffersExtensions.ToArray(frame.Body));
        version = level == (byte)MqttProtocolVersion.V500 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311;
        if (error.ReasonCode == ReasonCode.ProtocolError && error.SpecId == "MQTT-3.1.2-1")
        {
            // Not MQTT at all: no CONNACK, just close [MQTT-3.1.2-1].
            Close("refused CONNECT: " + error, publishWill: false, isError: true);
            return;
        }

        // Before 5.0 a CONNACK can only say "unacceptable protocol version"; a malformed CONNECT is just closed.
        if (version != MqttProtocolVersion.V500 && error.ReasonCode != ReasonCode.UnsupportedProtocolVersion)
        {
            Close("refused CONNECT: " + error, publishWill: false, isError: true);
            return;
        }

        stream!(new OutboundVersion(version));
        Refuse(error.ReasonCode, error.ToString());
    }

    private void Refuse(ReasonCode code, string why, bool logged = false)
    {
        code = ReasonCodes.IsValidFor(PacketType.ConnAck, code) ? code : ReasonCode.UnspecifiedError;
        BrokerMetrics.ConnectionRefused(BrokerMetrics.ReasonLabel(code));
        Send(new ConnAckPacket
        {
            ReasonCode = code,
            Properties = version == MqttProtocolVersion.V500 ? new MqttProperties { ReasonString = why } : null,
        });

        // A CONNACK that refuses is followed by closing the connection [MQTT-3.2.2-7].
        Close("refused CONNECT: " + why, publishWill: false, logged: logged);
    }

    private static string VersionText(MqttProtocolVersion v) => v switch
    {
        MqttProtocolVersion.V310 => "3.1",
        MqttProtocolVersion.V311 => "3.1.1",
        _ => "5.0",
    };

    private void AwaitingSession(object message, MqttError? pendingError)
    {
        switch (message)
        {
            case SessionAttached attached:
                {
                    session = attached.Session;
                    attachRequest = null;

                    // A session on another node may go down with its node: the connection must then end, or it would live
                    // on unheard while the session starts again elsewhere (one on this node says so itself).
                    if (!session.Path.Address.HasLocalScope)
                    {
                        Context.Watch(session);
                    }

                    Send(BuildConnAck(attached.SessionPresent));
                    connAckSent = true;
                    online = true;
                    BrokerMetrics.ConnectionsAccepted.Add(1);
                    BrokerMetrics.SessionsOnline.Add(1);

                    // The connect timeout also covers a session that does not answer; it ends with CONNACK.
                    Timers.Cancel(ConnectTimer);
                    log.Info("Client {ClientId} connected from {RemoteEndPoint} as {UserName} (MQTT {Version}, session present {SessionPresent}, keep-alive {KeepAlive}s)", clientId, info.RemoteEndPoint, userName ?? "(no user name)", VersionText(version), attached.SessionPresent, keepAlive);
                    events?.Connected(ExtensionClient(), cleanStart, attached.SessionPresent);
                    Become(Connected);
                    if (keepAlive > 0)
                    {
                        Timers.StartPeriodicTimer(KeepAliveTimer, KeepAliveCheck.Instance, TimeSpan.FromMilliseconds(keepAlive * 500));
                    }

                    while (!closing && backlog is not null && backlog.TryDequeue(out var frame))
                    {
                        HandleInTurn(frame);
                    }

                    backlog = null;

                    TellAcknowledged();

                    if (pendingError is { } error)
                    {
                        CloseOnError(error);
                    }
                    else if (!closing)
                    {
                        AckInbound();
                    }

                    return;
                }

            case AttachAgain when attachRequest is not null:
                {
                    // A member left the cluster, and the AttachSession may have gone to it and been lost; the shard
                    // region sends it where the session starts now, and a session that has it already ignores it.
                    log.Debug("Client {ClientId}: asking for its session again after a member left the cluster", clientId);
                    sessionRegion.Tell(attachRequest);
                    Timers.StartSingleTimer(ConnectTimer, ConnectTimeout.Instance, settings.ConnectTimeout);
                    return;
                }

            case SessionTakenOver:
                {
                    // Another connection took the session before this one heard it was attached: it did connect, and is
                    // told so, then why it ends [MQTT-3.1.4-3].
                    holdsSession = false;
                    Send(BuildConnAck(sessionPresent: false));
                    connAckSent = true;
                    Close("session taken over by a new connection", publishWill: false, ReasonCode.SessionTakenOver);
                    return;
                }

            case SessionUnreadable:
                {
                    // The session stopped before it began: a DetachSession would only start it, and fail it, again.
                    holdsSession = false;
                    log.Warning("Client {ClientId} from {RemoteEndPoint} refused: its session's journal could not be read", clientId, info.RemoteEndPoint);
                    Refuse(ReasonCode.UnspecifiedError, "session state could not be read", logged: true);
                    return;
                }

            case SessionWriteFailed:
                {
                    holdsSession = false;
                    log.Warning("Client {ClientId} from {RemoteEndPoint} refused: its session could not write its journal", clientId, info.RemoteEndPoint);
                    Refuse(ReasonCode.UnspecifiedError, "session state could not be stored", logged: true);
                    return;
                }

            default:
                Common(message);
                return;
        }
    }
}
