using Actors.Mqtt.Broker.Routing;
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

/// <summary>
/// One network connection: the CONNECT handshake, keep-alive, the inbound side of QoS 1 and 2, topic aliases,
/// and the count of packets waiting for the socket. Frames arrive in batches from the <see cref="ConnectionStage"/>;
/// the batch is acknowledged only when the outbound side has room, so a client that does not read is not read either.
/// Sessions, subscriptions and outbound QoS state belong to the <see cref="SessionActor"/>.
/// </summary>
public sealed class ConnectionActor : UntypedActor, IWithTimers
{
    private const string ConnectTimer = "connect-timeout";
    private const string KeepAliveTimer = "keep-alive";
    private const string AckTimer = "ack-timeout";
    private const string PaceTimer = "pace-timeout";

    // A QoS 0 publisher may have this many marks unanswered, one on every PaceEvery-th message, before it is not read.
    private const int PaceEvery = 64;
    private const int PaceWindow = 4;

    // While the broker is behind with a connection that reads fine, its QoS 0 copies wait rather than being dropped, up
    // to this many times the outbound queue; the publishers are paced meanwhile, so the wait stays short.
    private const int BehindCeiling = 4;

    private readonly ConnectionInfo info;
    private readonly BrokerSettings settings;
    private readonly IActorRef sessionRegion;
    private readonly IActorRef topicTree;
    private readonly IActorRef retainedStore;
    private readonly IActorRef auth;
    private readonly ILoggingAdapter log = SharedLogs.For<ConnectionActor>(Context);

    // The collections below are made when first needed: most connections never use most of them, and each empty one
    // is still an object of every idle connection.

    // Subtrees by index (TopicTreeGuardian.SubtreeOf): the first levels that hash to one share its entry, so there are
    // at most TopicTreeGuardian.SubtreeCount.
    private Dictionary<int, IActorRef>? subtrees;

    // Subtrees asked of the guardian, with what was published to them meanwhile: those wait for the answer, so that
    // none overtakes the one the guardian still forwards [MQTT-4.6.0-6].
    private Dictionary<int, List<RoutePublish>>? resolving;
    private Dictionary<ushort, string>? inboundAliases;
    private Dictionary<string, ushort>? outboundAliases;
    private HashSet<ushort>? inboundQos2;

    // Packets that came in the same read as CONNECT, handled once the session is attached.
    private Queue<MqttFrame>? backlog;
    private List<ushort>? pubAcks;
    private List<ushort>? pubComps;
    private readonly PendingAcks acks = new();

    // The connection's stage: frame batches come from it, and acknowledgements and packets go to it through this.
    private Action<object>? stream;

    // Packets sent while the socket is still busy wait here until the mailbox reaches a FlushOutbound marker, so that a
    // burst of deliveries goes to the connection's stage as one message and to the socket as one write.
    private List<MqttPacket>? unsent;
    private bool inboundWaiting;
    private bool inboundPaced;
    private int outboundQueued;
    private bool socketBlocked;
    private readonly PublishPacer pacer;
    private List<PaceMark>? heldPaces;
    private long outboundDropped;
    private MqttProtocolVersion version = MqttProtocolVersion.V311;
    private string clientId = string.Empty;
    private string? userName;
    private IActorRef? session;
    // From the AttachSession on until the session is told this connection ended: the session does not watch a
    // connection on its own node, so this connection must tell it, whatever way it stops.
    private bool holdsSession;
    private bool connAckSent;
    private bool closing;
    private uint sessionExpiry;
    private uint? clientMaximumPacketSize;
    private ushort clientTopicAliasMaximum;
    private long lastActivity = Environment.TickCount64;
    private ushort keepAlive;
    private bool assignedClientId;
    private bool keepAliveImposed;
    private bool sessionExpiryImposed;

    // From asking the auth actor until it answered: a connection that closes meanwhile withdraws its question.
    private bool authPending;

    // The client's ACL rules, null without an ACL file; replaced when a reload is published.
    private ClientAcl? acl;
    private long aclGeneration = -1;

    // The user name the ACL knows the client by: null when nothing proved the one in CONNECT.
    private string? aclUserName;

    // Checked against the rules in force when the connection ends, which a reload may have changed since CONNECT.
    private string? willTopic;

    // Made at the first PUBLISH: a connection that only subscribes, or sits idle, holds no cache
    // (docs/architecture.md, Backpressure and memory).
    private Utf8StringCache? topicCache;

    public ConnectionActor(ConnectionInfo info, BrokerSettings settings, IActorRef sessionRegion, IActorRef topicTree, IActorRef retainedStore, IActorRef auth)
    {
        this.auth = auth;
        this.info = info;
        this.settings = settings;
        this.sessionRegion = sessionRegion;
        this.topicTree = topicTree;
        this.retainedStore = retainedStore;
        pacer = new PublishPacer(PaceEvery, PaceWindow, (long)settings.PaceTimeout.TotalMilliseconds);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ConnectionInfo info, BrokerSettings settings, IActorRef sessionRegion, IActorRef topicTree, IActorRef retainedStore, IActorRef auth) =>
        Akka.Actor.Props.Create(() => new ConnectionActor(info, settings, sessionRegion, topicTree, retainedStore, auth));

    protected override void OnReceive(object message) => Starting(message);

    protected override void PreStart()
    {
        Timers.StartSingleTimer(ConnectTimer, ConnectTimeout.Instance, settings.ConnectTimeout);
    }

    /// <summary>
    /// However the actor stopped, its stage stops too, after writing what it was given before
    /// <see cref="OutboundComplete"/>. Publications still waiting for their subtree's address (a client that publishes and
    /// leaves at once) go the way the first of them went, through the guardian, in order.
    /// </summary>
    protected override void PostStop()
    {
        // Stopped without closing (the actor system or its parent stopping it): the session loses this connection as
        // if the client had dropped.
        ReleaseSession(publishWill: true, expiry: null);
        stream?.Invoke(ConnectionEnded.Instance);
        if (resolving is not null)
        {
            foreach (var waiting in resolving.Values)
            {
                foreach (var publish in waiting)
                {
                    topicTree.Tell(publish);
                }
            }
        }

        base.PostStop();
    }

    /// <summary>
    /// A fault while handling one connection closes that connection with a log line. A restart would give the
    /// actor empty state while its streams and session still point at it, so it never reaches the supervisor.
    /// </summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        try
        {
            return base.AroundReceive(receive, message);
        }
        catch (Exception e) when (!closing)
        {
            log.Error(e, "Client {ClientId} from {RemoteEndPoint}: closing after an internal error handling {Message}", clientId, info.RemoteEndPoint, message.GetType().Name);
            Close("internal error", publishWill: true, ReasonCode.ImplementationSpecificError, isError: true);
            return true;
        }
    }

    private void Starting(object message)
    {
        switch (message)
        {
            case StreamReady ready:
                {
                    stream = ready.Send;
                    Become(AwaitingConnect);
                    stream(InboundAck.Instance);
                    return;
                }

            default:
                Common(message);
                return;
        }
    }

    private void AwaitingConnect(object message)
    {
        switch (message)
        {
            case FrameBatch batch:
                {
                    if (batch.Frames.Count == 0)
                    {
                        CloseOnError(batch.Error);
                        return;
                    }

                    var first = batch.Frames[0];
                    if (batch.Frames.Count > 1)
                    {
                        backlog = new Queue<MqttFrame>(batch.Frames.Count - 1);
                        for (var i = 1; i < batch.Frames.Count; i++)
                        {
                            backlog.Enqueue(batch.Frames[i]);
                        }
                    }

                    if (first.Type != PacketType.Connect)
                    {
                        // The first packet of a connection must be CONNECT [MQTT-3.1.0-1].
                        Close($"first packet is {first.Type}, not CONNECT", publishWill: false, isError: true);
                        return;
                    }

                    OnConnect(first, batch.Error);
                    return;
                }

            default:
                Common(message);
                return;
        }
    }

    private void AwaitingAuth(object message, ConnectPacket connect, MqttError? pendingError)
    {
        switch (message)
        {
            case ConnectAccepted accepted:
                {
                    authPending = false;
                    aclUserName = accepted.UserName;
                    UseAcl(accepted.Acl, accepted.AclGeneration);

                    // Mosquitto accepts such a CONNECT and never publishes the will; dropping it here has the same effect. A will
                    // deeper than max-topic-levels is dropped the same way, as a PUBLISH to its topic would be.
                    var will = connect.Will;
                    if (will is { } w && (BrokerTopics.IsBrokerOwned(w.Topic) || (acl is { } rules && !rules.CanPublish(w.Topic))))
                    {
                        log.Info("Client {ClientId} (username {UserName}): will to {Topic} dropped: the client may not publish there", clientId, userName ?? "(none)", w.Topic);
                        will = null;
                    }
                    else if (will is { } deep && settings.MaxTopicLevels > 0 && TopicLevels.Count(deep.Topic) > settings.MaxTopicLevels)
                    {
                        log.Warning("Client {ClientId}: will topic {Topic} has more than {MaxTopicLevels} levels (actors-mqtt.limits.max-topic-levels): the will is dropped", clientId, deep.Topic, settings.MaxTopicLevels);
                        will = null;
                    }

                    willTopic = will?.Topic;
                    Become(m => AwaitingSession(m, pendingError));
                    holdsSession = true;
                    sessionRegion.Tell(new SessionEnvelope(clientId, new AttachSession(
                        clientId,
                        Self,
                        version,
                        connect.CleanSession,
                        sessionExpiry,
                        will,
                        connect.Properties?.ReceiveMaximum ?? ushort.MaxValue)));
                    return;
                }

            case ConnectRefused refused:
                {
                    authPending = false;
                    // The one line about a refused client; the password is never in it [MQTT-3.1.4-2].
                    log.Warning("Client {ClientId} from {RemoteEndPoint} refused on listener {Listener}: {Reason} (username {UserName})", clientId, info.RemoteEndPoint, info.ListenerName, refused.Reason, userName ?? "(none)");
                    Refuse(refused.ReasonCode, refused.Reason, logged: true);
                    return;
                }

            default:
                Common(message);
                return;
        }
    }

    private void AwaitingSession(object message, MqttError? pendingError)
    {
        switch (message)
        {
            case SessionAttached attached:
                {
                    session = attached.Session;
                    Send(BuildConnAck(attached.SessionPresent));
                    connAckSent = true;

                    // The connect timeout also covers a session that does not answer; it ends with CONNACK.
                    Timers.Cancel(ConnectTimer);
                    log.Info("Client {ClientId} connected from {RemoteEndPoint} as {UserName} (MQTT {Version}, session present {SessionPresent}, keep-alive {KeepAlive}s)", clientId, info.RemoteEndPoint, userName ?? "(no user name)", VersionText(version), attached.SessionPresent, keepAlive);
                    Become(Connected);
                    if (keepAlive > 0)
                    {
                        Timers.StartPeriodicTimer(KeepAliveTimer, KeepAliveCheck.Instance, TimeSpan.FromMilliseconds(keepAlive * 500));
                    }

                    while (!closing && backlog is not null && backlog.TryDequeue(out var frame))
                    {
                        Handle(frame);
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

    private void Connected(object message)
    {
        switch (message)
        {
            case FrameBatch batch:
                {
                    lastActivity = Environment.TickCount64;
                    foreach (var frame in batch.Frames)
                    {
                        if (closing)
                        {
                            break;
                        }

                        Handle(frame);
                    }

                    TellAcknowledged();
                    if (closing)
                    {
                        return;
                    }

                    if (batch.Error is { } error)
                    {
                        CloseOnError(error);
                    }
                    else if (!closing)
                    {
                        AckInbound();
                    }

                    return;
                }

            case SendToClient send:
                {
                    Deliver(send.Packet);
                    if (send.Pace is { } pace)
                    {
                        AnswerWhenDrained(pace);
                    }

                    return;
                }

            case RouteCounted counted:
                {
                    acks.Counted(counted.Id, counted.Writes, counted.Matched);
                    SendReadyAcks();
                    return;
                }

            case WriteConfirmed confirmed:
                {
                    acks.Confirmed(confirmed.Id, confirmed.Stored, confirmed.RoutedWrites);
                    SendReadyAcks();
                    return;
                }

            case InboundQos2Done done:
                {
                    acks.Qos2Done(done.PacketId, done.ReasonCode);
                    SendReadyAcks();
                    return;
                }

            case AckTimeoutCheck:
                {
                    while (acks.ExpireOldest(Environment.TickCount64, (long)settings.Persistence.ConfirmTimeout.TotalMilliseconds))
                    {
                        SendReadyAcks();
                    }

                    if (acks.Count == 0)
                    {
                        Timers.Cancel(AckTimer);
                    }

                    return;
                }

            case SubtreeResolved resolved:
                {
                    (subtrees ??= [])[resolved.Index] = resolved.Subtree;
                    if (resolving is not null && resolving.Remove(resolved.Index, out var waited))
                    {
                        foreach (var publish in waited)
                        {
                            resolved.Subtree.Tell(publish);
                        }
                    }

                    return;
                }

            case ProtocolViolation violation:
                CloseOnError(violation.Error);
                return;

            case SessionWriteFailed:
                {
                    // The session stopped: the DetachSession goes through the shard region, which starts it again from its
                    // journal, so that its will and expiry run as for any client that dropped.
                    session = null;
                    Close("its session could not write its journal", publishWill: true, ReasonCode.UnspecifiedError, isError: true);
                    return;
                }

            case SessionTakenOver:
                {
                    session = null;
                    holdsSession = false;
                    Close("session taken over by a new connection", publishWill: false, ReasonCode.SessionTakenOver);
                    return;
                }

            case KeepAliveCheck:
                {
                    // No packet within one and a half times the keep alive: the client is gone [MQTT-3.1.2-22].
                    if (Environment.TickCount64 - lastActivity > keepAlive * 1500L)
                    {
                        Close("keep-alive timeout", publishWill: true, ReasonCode.KeepAliveTimeout);
                    }

                    return;
                }

            default:
                Common(message);
                return;
        }
    }

    private void Common(object message)
    {
        switch (message)
        {
            case OutboundWritten written:
                {
                    outboundQueued -= written.Count;
                    socketBlocked = false;
                    if (outboundQueued <= settings.OutboundQueue / 2)
                    {
                        AnswerHeld();
                        if (inboundWaiting)
                        {
                            inboundWaiting = false;
                            AckInbound();
                        }
                    }

                    return;
                }

            case OutboundBlocked:
                {
                    socketBlocked = true;
                    AnswerHeld();
                    return;
                }

            case Paced paced:
                {
                    pacer.Answered(paced.Seq, paced.Copies);
                    ResumePaced();
                    return;
                }

            case PaceTimedOut:
                {
                    if (pacer.Expire(Environment.TickCount64) > 0)
                    {
                        log.Debug("Client {ClientId}: gave up waiting for the answers to a paced QoS 0 message", clientId);
                    }

                    ResumePaced();
                    if (inboundPaced)
                    {
                        Timers.StartSingleTimer(PaceTimer, PaceTimedOut.Instance, settings.PaceTimeout);
                    }

                    return;
                }

            case InboundCompleted:
                Close("connection closed by the client", publishWill: true);
                return;

            case ServerShuttingDown:
                Close("server shutting down", publishWill: true, ReasonCode.ServerShuttingDown);
                return;

            case InboundFailed failed:
                Close("network error: " + failed.Cause.Message, publishWill: true);
                return;

            case ConnectTimeout:
                {
                    if (!connAckSent)
                    {
                        Close("no CONNECT within " + settings.ConnectTimeout, publishWill: false);
                    }

                    return;
                }

            case AclChanged changed:
                {
                    if (changed.Generation > aclGeneration)
                    {
                        UseAcl(changed.File?.For(clientId, aclUserName), changed.Generation);
                    }

                    return;
                }

            case FlushOutbound:
                FlushUnsent();
                return;

            default:
                // Anything else (a late reply, a stray timer) is of no use to this connection.
                return;
        }
    }

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
        authPending = true;
        Become(m => AwaitingAuth(m, connect, pendingError));
        auth.Tell(new Authenticate(info, clientId, userName, connect.Password?.ToArray(), Self));
    }

    private void UseAcl(ClientAcl? rules, long generation)
    {
        if (generation >= aclGeneration)
        {
            acl = rules;
            aclGeneration = generation;
        }
    }

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
        Send(new ConnAckPacket
        {
            ReasonCode = ReasonCodes.IsValidFor(PacketType.ConnAck, code) ? code : ReasonCode.UnspecifiedError,
            Properties = version == MqttProtocolVersion.V500 ? new MqttProperties { ReasonString = why } : null,
        });

        // A CONNACK that refuses is followed by closing the connection [MQTT-3.2.2-7].
        Close("refused CONNECT: " + why, publishWill: false, logged: logged);
    }

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
                session!.Tell(new SubscribeRequest(subscribe, acl is null ? null : DeniedFilters(subscribe, acl)));
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

        if (BrokerTopics.IsBrokerOwned(publish.Topic) || (acl is { } rules && !rules.CanPublish(publish.Topic)))
        {
            log.Debug("Client {ClientId} (username {UserName}) may not publish to {Topic}: dropped", clientId, userName ?? "(none)", publish.Topic);
            RefusePublish(publish, ReasonCode.NotAuthorized);
            return;
        }

        var now = Environment.TickCount64;
        switch (publish.QoS)
        {
            case QualityOfService.AtMostOnce:
                Route(publish, now, confirm: null, pacer.Next(now) is { } seq ? new PaceMark(Self, seq) : null);
                break;
            case QualityOfService.AtLeastOnce:
                // PUBACK once every durable session that matched, and the retained store, wrote the message.
                var id = acks.AddPubAck(publish.PacketId, writes: publish.Retain ? 1 : 0, now);
                StartAckTimer();
                Route(publish, now, new Confirmation(Self, id));
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
                acks.AddPubRec(publish.PacketId, now);
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
    /// A PUBLISH the ACL or a limit does not allow is dropped. MQTT 5 says why in PUBACK or PUBREC, which ends a QoS 2
    /// exchange; 3.1 and 3.1.1 have no way to say it, so the message is acknowledged as usual [MQTT-3.3.5-2 (3.1.1)],
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
        acks.AddDecided(publish.PacketId, publish.QoS == QualityOfService.AtLeastOnce ? PacketType.PubAck : PacketType.PubRec, code, Environment.TickCount64);
        SendReadyAcks();
    }

    /// <summary>Which filters of a SUBSCRIBE the ACL refuses, by position; null when it refuses none.</summary>
    private bool[]? DeniedFilters(SubscribePacket subscribe, ClientAcl rules)
    {
        bool[]? denied = null;
        for (var i = 0; i < subscribe.Subscriptions.Count; i++)
        {
            // An invalid filter is left to the session, which answers it as invalid.
            if (TopicFilter.TryParse(subscribe.Subscriptions[i].TopicFilter, version == MqttProtocolVersion.V500, out var filter, out _)
                && !rules.CanSubscribe(filter.Filter))
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

    private void Route(PublishPacket publish, long receivedAt, Confirmation? confirm, PaceMark? pace = null)
    {
        if (publish.Retain)
        {
            retainedStore.Tell(new StoreRetained(publish, receivedAt) { Confirm = confirm });
        }

        var message = new RoutePublish(publish, clientId, receivedAt) { Confirm = confirm, Pace = pace };
        var index = TopicTreeGuardian.SubtreeOf(publish.Topic);
        if (subtrees is not null && subtrees.TryGetValue(index, out var subtree))
        {
            subtree.Tell(message);
            return;
        }

        if (resolving is not null && resolving.TryGetValue(index, out var waiting))
        {
            waiting.Add(message);
            return;
        }

        // The first message of a subtree goes through the guardian, which forwards it before it answers where the
        // subtree is.
        topicTree.Tell(message);
        (resolving ??= [])[index] = [];
        topicTree.Tell(new ResolveSubtree(index));
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

    private void Deliver(MqttPacket packet)
    {
        if (packet is PublishPacket publish)
        {
            if (publish.QoS == QualityOfService.AtMostOnce && outboundQueued >= settings.OutboundQueue
                && (socketBlocked || outboundQueued >= BehindCeiling * settings.OutboundQueue))
            {
                outboundDropped++;
                BrokerMetrics.Qos0Dropped.Add(1);
                return;
            }

            // A packet larger than the client accepts is dropped as if sent [MQTT-3.1.2-25]; so is one it may not read.
            if ((clientMaximumPacketSize is { } max && MqttPacketEncoder.GetSize(publish, version) > max)
                || (acl is { } rules && !rules.CanRead(publish.Topic)))
            {
                if (publish.QoS != QualityOfService.AtMostOnce)
                {
                    session?.Tell(new OutboundDiscarded(publish.PacketId));
                }

                return;
            }

            packet = WithOutboundAlias(publish);
        }

        Send(packet);
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

    private void AckInbound()
    {
        // Acknowledgements waiting for writes are bounded like the client's packets in flight: while receive-maximum of
        // them wait, nothing more is read (a 3.1.1 client, which has no Receive Maximum, is slowed down the same way).
        if (outboundQueued >= settings.OutboundQueue || acks.Count >= settings.ReceiveMaximum)
        {
            inboundWaiting = true;
            return;
        }

        if (!pacer.MayRead)
        {
            inboundPaced = true;
            if (!Timers.IsTimerActive(PaceTimer))
            {
                Timers.StartSingleTimer(PaceTimer, PaceTimedOut.Instance, settings.PaceTimeout);
            }

            return;
        }

        stream?.Invoke(InboundAck.Instance);
    }

    private void ResumePaced()
    {
        if (inboundPaced && pacer.MayRead && !closing)
        {
            inboundPaced = false;
            Timers.Cancel(PaceTimer);
            AckInbound();
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
        if (publishWill && willTopic is { } topic && acl is { } rules && !rules.CanPublish(topic))
        {
            log.Info("Client {ClientId} (username {UserName}): will to {Topic} dropped: the ACL no longer lets the client publish there", clientId, userName ?? "(none)", topic);
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

    private static string VersionText(MqttProtocolVersion v) => v switch
    {
        MqttProtocolVersion.V310 => "3.1",
        MqttProtocolVersion.V311 => "3.1.1",
        _ => "5.0",
    };

    private sealed record ConnectTimeout
    {
        public static readonly ConnectTimeout Instance = new();
    }

    private sealed record KeepAliveCheck
    {
        public static readonly KeepAliveCheck Instance = new();
    }

    private sealed record AckTimeoutCheck
    {
        public static readonly AckTimeoutCheck Instance = new();
    }

    private sealed record PaceTimedOut
    {
        public static readonly PaceTimedOut Instance = new();
    }

    /// <summary>Sent to itself behind a burst of packets; it may find the actor stopped, which is not worth a log line.</summary>
    private sealed record FlushOutbound : IDeadLetterSuppression
    {
        public static readonly FlushOutbound Instance = new();
    }
}
