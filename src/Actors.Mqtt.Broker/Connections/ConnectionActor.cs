using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Connections;

// States:
//   Starting --StreamReady--> AwaitingConnect --CONNECT--> AwaitingAuth --ConnectAccepted--> AwaitingSession
//                                   |                          |                                |
//                                   | not CONNECT              | ConnectRefused                 | SessionAttached
//                                   v                          v                                v
//                                 Close                      Close                          Connected
//                                                                                               |
//   Close (DISCONNECT, DetachSession, stop) <-- SessionTakenOver, SessionWriteFailed, session's node gone, ProtocolViolation,
//                                               keep-alive timeout, bad packet, DISCONNECT or end of the socket
//
// This file holds the states and what every state shares; the handshake, the inbound and outbound sides and the
// close are in ConnectionActor.Handshake.cs, .Inbound.cs, .Outbound.cs and .Close.cs.

/// <summary>
/// One network connection: the CONNECT handshake, keep-alive, the inbound side of QoS 1 and 2, topic aliases,
/// and the count of packets waiting for the socket. Frames arrive in batches from the <see cref="ConnectionStage"/>;
/// the batch is acknowledged only when the outbound side has room, so a client that does not read is not read either.
/// Sessions, subscriptions and outbound QoS state belong to the <see cref="SessionActor"/>.
/// </summary>
public sealed partial class ConnectionActor : UntypedActor, IWithTimers
{
    private const string ConnectTimer = "connect-timeout";
    private const string KeepAliveTimer = "keep-alive";
    private const string AckTimer = "ack-timeout";
    private const string PaceTimer = "pace-timeout";
    private const string StallTimer = "stall";

    // A QoS 0 publisher may have this many marks unanswered, one on every PaceEvery-th message, before it is not read.
    private const int PaceEvery = 64;
    private const int PaceWindow = 4;

    // While a client reads, however slowly, its QoS 0 copies beyond the outbound queue wait rather than being dropped,
    // up to this many times the queue; the publishers are paced meanwhile, so the wait stays short.
    private const int BehindCeiling = 4;

    private readonly ConnectionInfo info;
    private readonly BrokerSettings settings;

    // Null when no extension listens.
    private readonly BrokerEvents? events;
    private readonly IActorRef sessionRegion;
    private readonly IActorRef auth;
    private readonly QuestionChain? authorize;
    private readonly ILoggingAdapter log = SharedLogs.For<ConnectionActor>(Context);

    // The collections below are made when first needed: most connections never use most of them, and each empty one
    // is still an object of every idle connection.

    // Counted in BrokerMetrics.SessionsOnline from the successful CONNACK until PostStop, which every connection reaches.
    private bool online;

    private Dictionary<ushort, string>? inboundAliases;
    private Dictionary<string, ushort>? outboundAliases;
    private HashSet<ushort>? inboundQos2;

    // Packets that came in the same read as CONNECT, handled once the session is attached.
    private Queue<MqttFrame>? backlog;
    private List<ushort>? pubAcks;
    private List<ushort>? pubComps;
    private readonly PendingAcks acks = new();
    private readonly BrokerPublisher publisher;

    // The connection's stage: frame batches come from it, and acknowledgements and packets go to it through this.
    private Action<object>? stream;

    // Packets sent while the socket is still busy wait here until the mailbox reaches a FlushOutbound marker, so that a
    // burst of deliveries goes to the connection's stage as one message and to the socket as one write.
    private List<MqttPacket>? unsent;
    private bool inboundWaiting;
    private bool inboundPaced;
    private int outboundQueued;
    private bool socketBlocked;

    // When the socket last stopped taking packets (settings.Time milliseconds), while socketBlocked; and whether the
    // client was found to have stopped reading, which holds until its queue is back under half.
    private long blockedSince;
    private bool stalled;
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
    // The AttachSession until the session answers it: sent again when a member leaves, since it may have gone there.
    private SessionEnvelope? attachRequest;
    private bool connAckSent;
    private bool closing;
    private uint sessionExpiry;
    private uint? clientMaximumPacketSize;
    private ushort clientTopicAliasMaximum;
    private long lastActivity;
    private ushort keepAlive;
    private bool assignedClientId;

    // Clean Start (3.1.1: clean session) of CONNECT, for the extensions' ClientConnected.
    private bool cleanStart;

    // The authorizing extensions' answers, made at the first question (docs/extending.md).
    private AuthorizationCache? verdictCache;

    // The PUBLISH or SUBSCRIBE whose answer from the extensions is awaited; the frames read after it, or after the QoS 0
    // PUBLISH that used up the pacer's window, which wait their turn; and whether the stream's batch waits for its
    // InboundAck meanwhile.
    private MqttPacket? awaitingVerdict;
    private Queue<MqttFrame>? heldFrames;
    private bool inboundAckOwed;

    // The answers that ended the wait, while the packet that waited is handled with them.
    private VerdictsAnswered? justAnswered;
    private bool keepAliveImposed;
    private bool sessionExpiryImposed;

    // From asking the auth actor until it answered: a connection that closes meanwhile withdraws its question.
    private bool authPending;

    // The rules the client's connection checks inline (docs/extending.md), null when nothing gave any; rules from the
    // ACL file are resolved again from each newer load of it told here, even one told before they arrived.
    private IClientPermissions? permissions;
    private AclChanged? newestAcl;

    // Checked against the rules in force when the connection ends, which a reload may have changed since CONNECT.
    private string? willTopic;

    // An authorizing extension allowed the will at CONNECT: the client's permissions, which it goes before, have no
    // say at the end either.
    private bool willAllowedByExtension;

    // The will of CONNECT went no further, for its topic: counted as dropped only if the connection ends as one that
    // publishes its will, as a will its permissions take away at the end is.
    private bool willRefused;

    // Made at the first PUBLISH: a connection that only subscribes, or sits idle, holds no cache
    // (docs/architecture.md, Backpressure and memory).
    private Utf8StringCache? topicCache;

    public ConnectionActor(ConnectionInfo info, BrokerSettings settings, IActorRef sessionRegion, IActorRef topicTree, IActorRef retainedStore, IActorRef auth, QuestionChain? authorize = null)
    {
        this.auth = auth;
        this.authorize = authorize;
        this.info = info;
        this.settings = settings;
        this.sessionRegion = sessionRegion;
        events = BrokerEvents.For(Context.System, settings);
        publisher = new BrokerPublisher(topicTree, retainedStore, Self, events);
        lastActivity = settings.Time.Milliseconds();
        pacer = new PublishPacer(PaceEvery, PaceWindow, (long)settings.PaceTimeout.TotalMilliseconds);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="authorize">The extensions that authorize publishing and subscribing; null when none does.</param>
    public static Props Props(ConnectionInfo info, BrokerSettings settings, IActorRef sessionRegion, IActorRef topicTree, IActorRef retainedStore, IActorRef auth, QuestionChain? authorize = null) =>
        Akka.Actor.Props.Create(() => new ConnectionActor(info, settings, sessionRegion, topicTree, retainedStore, auth, authorize));

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
        if (online)
        {
            BrokerMetrics.SessionsOnline.Add(-1);
        }

        publisher.SendWaiting();
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
                    UsePermissions(accepted.Permissions);

                    // The will is a PUBLISH to come: the authorizing extensions are asked about it as about one.
                    if (authorize is not null && connect.Will is { } asked && !BrokerTopics.IsBrokerOwned(asked.Topic))
                    {
                        authorize.Ask(new AuthorizeClient(ExtensionClient(), ClientAction.Publish, asked.Topic, asked.QoS, asked.Retain))
                            .PipeTo(Self, success: answer => new WillAnswered(answer));
                        return;
                    }

                    AttachSession(connect, pendingError, Verdict.NoOpinion);
                    return;
                }

            case WillAnswered answered:
                {
                    if (answered.Answer.Problem is { } problem)
                    {
                        log.Warning("Client {ClientId}: {Problem}", clientId, problem);
                    }

                    AttachSession(connect, pendingError, answered.Answer.Verdict);
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

    private void Connected(object message)
    {
        switch (message)
        {
            case FrameBatch batch:
                {
                    lastActivity = settings.Time.Milliseconds();
                    foreach (var frame in batch.Frames)
                    {
                        if (closing)
                        {
                            break;
                        }

                        HandleInTurn(frame);
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

            case VerdictsAnswered answered:
                OnVerdicts(answered);
                return;

            case SendToClient send:
                {
                    Deliver(send.Packet);
                    if (send.Pace is { } pace)
                    {
                        AnswerWhenDrained(pace);
                    }

                    return;
                }

            case RouteCounted or WriteConfirmed:
                acks.Note(message);
                SendReadyAcks();
                return;

            case InboundQos2Done done:
                {
                    acks.Qos2Done(done.PacketId, done.ReasonCode, done.Durable);
                    SendReadyAcks();
                    return;
                }

            case AckTimeoutCheck:
                {
                    if (acks.ExpireOverdue(settings.Time.Milliseconds(), (long)settings.Persistence.ConfirmTimeout.TotalMilliseconds, SendReadyAcks))
                    {
                        Timers.Cancel(AckTimer);
                    }

                    return;
                }

            case SubtreeResolved resolved:
                publisher.Resolved(resolved);
                return;

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

            case Terminated terminated when terminated.ActorRef.Equals(session):
                {
                    // Its node left or died. The session starts again from its journal on another node, detached, and runs
                    // the will and expiry from there; the client reconnects and takes it over.
                    session = null;
                    holdsSession = false;
                    Close("its session's node left the cluster", publishWill: false, ReasonCode.UnspecifiedError);
                    return;
                }

            case KeepAliveCheck:
                {
                    // No packet within one and a half times the keep alive: the client is gone [MQTT-3.1.2-22].
                    if (settings.Time.Milliseconds() - lastActivity > keepAlive * 1500L)
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
                    Timers.Cancel(StallTimer);
                    if (outboundQueued <= settings.OutboundQueue / 2)
                    {
                        stalled = false;
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
                    blockedSince = settings.Time.Milliseconds();
                    if (heldPaces is not null)
                    {
                        Timers.StartSingleTimer(StallTimer, StallCheck.Instance, settings.StallAfter);
                    }

                    return;
                }

            case StallCheck:
                OnStallCheck();
                return;

            case Paced paced:
                {
                    pacer.Answered(paced.Seq, paced.Copies);
                    ResumePaced();
                    return;
                }

            case PaceTimedOut:
                {
                    if (pacer.Expire(settings.Time.Milliseconds()) > 0)
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
                        Close((attachRequest is null ? "no CONNECT within " : "its session did not answer within ") + settings.ConnectTimeout, publishWill: false);
                    }

                    return;
                }

            case AttachAgain:
                return;

            case AclChanged changed:
                {
                    if (changed.Generation > (newestAcl?.Generation ?? 0))
                    {
                        newestAcl = changed;
                        UsePermissions(permissions);
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

    private sealed record StallCheck
    {
        public static readonly StallCheck Instance = new();
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
