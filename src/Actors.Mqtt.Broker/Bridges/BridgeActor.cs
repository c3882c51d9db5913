using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using MQTTnet;

namespace Actors.Mqtt.Broker.Bridges;

// States:
//   Subscribing --SUBACK--> Connecting --RemoteUp--> Attaching --SessionAttached--> Bridging
//   (the session takes the      ^          |                                           |
//    out subscriptions, and     |          | RemoteFailed                              | RemoteDown
//    is let go again)           |          v                                           | (the session is let go)
//                               +------ Waiting (restart timer: backoff with jitter) <-+
//
// Messages from the remote broker are routed in every state they can arrive in (the remote is up) and acknowledged to it
// once their writes are done; messages for the remote leave the session only while Bridging.

/// <summary>
/// One bridge to a remote broker (docs/architecture.md, "Bridges"). Its side in this broker is an ordinary persistent
/// session of client id <c>$bridge/NAME</c>, which this actor drives as a connection drives its session: the session
/// holds the subscriptions of the topics that go out and journals the QoS 1 and 2 messages for the remote, which
/// leave its queue only when the remote acknowledged them. The remote side is an MQTTnet client; a message from it is
/// routed into the broker like any client's PUBLISH, and acknowledged to the remote only after every durable
/// subscriber wrote it.
/// </summary>
public sealed partial class BridgeActor : UntypedActor, IWithTimers
{
    private const string RestartTimer = "restart";
    private const string AckTimer = "ack-timeout";

    private readonly BridgeSettings bridge;
    private readonly BrokerSettings settings;
    private readonly IActorRef sessionRegion;
    private readonly BrokerPublisher publisher;
    private readonly ILoggingAdapter log = SharedLogs.For<BridgeActor>(Context);
    private readonly PendingAcks acks = new();

    // The remote messages whose acknowledgement waits in acks, by packet id.
    private readonly Dictionary<ushort, MqttApplicationMessageReceivedEventArgs> unacknowledged = [];
    private readonly MqttClientOptions options;
    private readonly MqttClientSubscribeOptions? remoteSubscriptions;
    private IMqttClient? client;

    // Counts the attempts to reach the remote, so that the answer of an attempt given up is told from the current one's.
    private int attempt;
    private int failures;
    private IActorRef? session;

    // Whether this bridge counts as connected in BrokerMetrics.BridgesConnected: from Bridging until it waits again.
    private bool connected;

    // The tags of BrokerMetrics.BridgeMessages, made once.
    private readonly KeyValuePair<string, object?>[] outTags;
    private readonly KeyValuePair<string, object?>[] inTags;

    public BridgeActor(BridgeSettings bridge, BrokerSettings settings, IActorRef sessionRegion, IActorRef topicTree, IActorRef retainedStore)
    {
        this.bridge = bridge;
        this.settings = settings;
        this.sessionRegion = sessionRegion;
        publisher = new BrokerPublisher(topicTree, retainedStore, Self, BrokerEvents.For(Context.System, settings));
        options = RemoteBroker.ClientOptions(bridge);
        remoteSubscriptions = RemoteBroker.SubscribeOptions(bridge);
        outTags = [new("bridge", bridge.Name), new("direction", "out")];
        inTags = [new("bridge", bridge.Name), new("direction", "in")];
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(BridgeSettings bridge, BrokerSettings settings, IActorRef sessionRegion, IActorRef topicTree, IActorRef retainedStore) =>
        Akka.Actor.Props.Create(() => new BridgeActor(bridge, settings, sessionRegion, topicTree, retainedStore));

    /// <summary>The bridge under a supervisor that starts it again, after a growing pause, whenever it fails: a bridge
    /// that cannot work never takes the broker down with it.</summary>
    public static Props SupervisedProps(BridgeSettings bridge, BrokerSettings settings, IActorRef sessionRegion, IActorRef topicTree, IActorRef retainedStore) =>
        BackoffSupervisor.Props(Backoff.OnFailure(
            Props(bridge, settings, sessionRegion, topicTree, retainedStore),
            "bridge",
            bridge.RestartBase,
            bridge.RestartCap,
            randomFactor: 0.2,
            maxNrOfRetries: -1));

    protected override void PreStart()
    {
        var self = Self;

        // The bridge's series is there, at 0, before its first connection.
        BrokerMetrics.BridgesConnected.Add(0, new KeyValuePair<string, object?>("bridge", bridge.Name));
        BrokerMetrics.BridgeMessages.Add(0, outTags);
        BrokerMetrics.BridgeMessages.Add(0, inTags);
        client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            // Acknowledged once this broker has the message for good (see SendReadyAcks). Copied here, while MQTTnet
            // still holds what it read, under its remote topic (see Route).
            e.AutoAcknowledge = false;
            self.Tell(new RemoteMessage(RemoteBroker.ToLocal(e.ApplicationMessage, e.ApplicationMessage.Topic), e));
            return Task.CompletedTask;
        };
        client.DisconnectedAsync += e =>
        {
            if (e.ClientWasConnected)
            {
                self.Tell(new RemoteDown(e.Exception?.Message ?? e.Reason.ToString()));
            }

            return Task.CompletedTask;
        };

        // The out subscriptions are the session's, made before the remote is reached, so that what is published for
        // the remote while it is away waits in the session's journal from the first start on.
        sessionRegion.Tell(Attach());
    }

    protected override void PostStop()
    {
        if (session is not null)
        {
            sessionRegion.Tell(Detach());
        }

        if (client is { } remote)
        {
            client = null;
            _ = remote.DisconnectAsync().ContinueWith(_ => remote.Dispose(), TaskScheduler.Default);
        }

        publisher.SendWaiting();
        Connected(false);
        base.PostStop();
    }

    protected override void OnReceive(object message) => Subscribing(message);

    private void Subscribing(object message)
    {
        switch (message)
        {
            case SessionAttached attached:
                {
                    session = attached.Session;
                    var subscriptions = bridge.Topics.Where(t => t.Out).Select(t => new MqttSubscription(t.LocalFilter)
                    {
                        MaximumQoS = t.QoS,
                        // What the bridge itself routes in never goes back out (docs/architecture.md, "Bridges").
                        NoLocal = true,
                        RetainAsPublished = true,
                        RetainHandling = RetainHandling.SendAtSubscribeIfNew,
                    }).ToList();
                    if (subscriptions.Count == 0)
                    {
                        LetSessionGo();
                        return;
                    }

                    attached.Session.Tell(new SubscribeRequest(new SubscribePacket { PacketId = 1, Subscriptions = subscriptions }));
                    return;
                }

            case SendToClient { Packet: SubAckPacket subAck }:
                {
                    var refused = bridge.Topics.Where(t => t.Out).Zip(subAck.ReasonCodes, (topic, code) => (Topic: topic, Code: code)).Where(p => ReasonCodes.IsFailure(p.Code)).ToList();
                    foreach (var (topic, code) in refused)
                    {
                        log.Warning("Bridge {Bridge}: local subscription to {Filter} refused ({ReasonCode}): those messages do not go out", bridge.Name, topic.LocalFilter, code);
                    }

                    LetSessionGo();
                    return;
                }

            case SendToClient:
                // Messages the session had in flight or queued: they stay its own, and come again when the remote is up.
                return;

            default:
                Common(message);
                return;
        }
    }

    /// <summary>The subscriptions are held; the session waits, detached, until the remote is up.</summary>
    private void LetSessionGo()
    {
        sessionRegion.Tell(Detach());
        Connect();
    }

    private void Connect()
    {
        // Messages of a connection before that were not acknowledged come again on this one, perhaps under the same
        // packet ids: an entry left from then must not acknowledge them.
        acks.Clear();
        unacknowledged.Clear();
        var current = ++attempt;
        var remote = client!;
        var subscribe = remoteSubscriptions;
        Become(Connecting);
        ConnectAsync(remote, options, subscribe).PipeTo(Self, success: () => new RemoteUp(current), failure: e => new RemoteFailed(current, e));
    }

    private static async Task ConnectAsync(IMqttClient remote, MqttClientOptions options, MqttClientSubscribeOptions? subscribe)
    {
        // MQTTnet answers a refused CONNECT with its CONNACK's code rather than an exception.
        var connected = await remote.ConnectAsync(options).ConfigureAwait(false);
        if (connected.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"the remote broker refused the connection: {connected.ResultCode} {connected.ReasonString}".TrimEnd());
        }

        // Every time: a remote session that started afresh has none, and subscribing again to a filter replaces it.
        if (subscribe is not null)
        {
            var result = await remote.SubscribeAsync(subscribe).ConfigureAwait(false);
            if (result.Items.FirstOrDefault(i => (int)i.ResultCode >= 0x80) is { } refused)
            {
                await remote.DisconnectAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"the remote broker refused the subscription to {refused.TopicFilter.Topic} ({refused.ResultCode})");
            }
        }
    }

    private void Connecting(object message)
    {
        switch (message)
        {
            case RemoteDown:
                // The attempt connected and then gave up (a subscription refused): its RemoteFailed follows.
                return;

            case RemoteUp up when up.Attempt == attempt:
                {
                    failures = 0;
                    log.Info("Bridge {Bridge} connected to {Host}:{Port} as {ClientId}", bridge.Name, bridge.Host, bridge.Port, bridge.RemoteClientId);
                    Become(Attaching);
                    sessionRegion.Tell(Attach());
                    return;
                }

            case RemoteFailed failed when failed.Attempt == attempt:
                {
                    var delay = NextDelay();
                    log.Warning("Bridge {Bridge}: could not connect to {Host}:{Port} ({Reason}); trying again in {Delay}", bridge.Name, bridge.Host, bridge.Port, failed.Cause.GetBaseException().Message, delay);
                    Wait(delay);
                    return;
                }

            default:
                Common(message);
                return;
        }
    }

    private void Attaching(object message)
    {
        switch (message)
        {
            case SessionAttached attached:
                session = attached.Session;
                Connected(true);
                Become(Bridging);
                return;

            default:
                Common(message);
                return;
        }
    }

    private void Bridging(object message)
    {
        switch (message)
        {
            case SendToClient { Packet: PublishPacket publish }:
                SendToRemote(publish);
                return;

            case SendToClient { Packet: PubRelPacket release }:
                // The remote completed the QoS 2 exchange before the session was told it received the message (see
                // RemotePublished): the release needs nothing more from it.
                session?.Tell(new OutboundAcknowledged([], [release.PacketId]));
                return;

            default:
                Common(message);
                return;
        }
    }

    private void Waiting(object message)
    {
        switch (message)
        {
            case Restart:
                Connect();
                return;

            case SessionAttached:
                // The attach of an attempt given up (the remote went away first): it is let go again.
                sessionRegion.Tell(Detach());
                return;

            case RemoteDown:
                // Already handled: the connection it reports is the one this wait follows.
                return;

            default:
                Common(message);
                return;
        }
    }

    private void Common(object message)
    {
        switch (message)
        {
            case RemoteMessage received:
                Route(received.Publish, received.Args);
                return;

            case RouteCounted or WriteConfirmed:
                acks.Note(message);
                SendReadyAcks();
                return;

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

            case RemotePublished published:
                OnRemotePublished(published);
                return;

            case RemoteDown down:
                {
                    var delay = NextDelay();
                    log.Warning("Bridge {Bridge}: lost {Host}:{Port} ({Reason}); connecting again in {Delay}", bridge.Name, bridge.Host, bridge.Port, down.Reason, delay);

                    // The remote sends the unacknowledged messages again when the bridge is back (see Connect).
                    if (session is not null)
                    {
                        sessionRegion.Tell(Detach());
                    }

                    Wait(delay);
                    return;
                }

            case AckFailed failed:
                log.Debug("Bridge {Bridge}: an acknowledgement to the remote broker was not sent ({Reason}); the remote sends the message again", bridge.Name, failed.Reason);
                return;

            case SessionTakenOver or SessionUnreadable or SessionWriteFailed:
                // Started again by the supervisor, after a pause, from the session's journal.
                throw new InvalidOperationException($"bridge {bridge.Name}: its session answered {message.GetType().Name}");

            case ProtocolViolation violation:
                log.Warning("Bridge {Bridge}: its session found an acknowledgement out of order: {Reason}", bridge.Name, violation.Error.Message);
                return;

            default:
                // A late answer of an attempt given up, or a packet the session sends a detached bridge: nothing to do.
                return;
        }
    }

    private void Wait(TimeSpan delay)
    {
        Connected(false);
        Become(Waiting);
        Timers.StartSingleTimer(RestartTimer, Restart.Instance, delay);
    }

    private void Connected(bool now)
    {
        if (now != connected)
        {
            connected = now;
            BrokerMetrics.BridgesConnected.Add(now ? 1 : -1, new KeyValuePair<string, object?>("bridge", bridge.Name));
        }
    }

    /// <summary>Doubles from restart-timeout-base up to restart-timeout-cap, 20% jitter either way, so that bridges of
    /// many brokers to one remote do not all come back at the same moment.</summary>
    private TimeSpan NextDelay()
    {
        var doubled = bridge.RestartBase.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 30));
        failures++;
        var delay = Math.Min(doubled, bridge.RestartCap.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(delay * (0.8 + (0.4 * Random.Shared.NextDouble())));
    }

    private SessionEnvelope Attach() => new(bridge.LocalClientId, new AttachSession(
        bridge.LocalClientId,
        Self,
        // MQTT 5 semantics for the local session whatever the remote speaks: No Local, and properties kept.
        MqttProtocolVersion.V500,
        CleanStart: false,
        // Never expires: its queue is what the remote has not acknowledged yet, however long it is away.
        SessionExpiryInterval: uint.MaxValue,
        Will: null,
        ClientReceiveMaximum: ushort.MaxValue));

    private SessionEnvelope Detach() => new(bridge.LocalClientId, new DetachSession(Self, PublishWill: false, SessionExpiryInterval: null));

    /// <param name="Publish">The message under its remote topic.</param>
    private sealed record RemoteMessage(PublishPacket Publish, MqttApplicationMessageReceivedEventArgs Args);

    private sealed record RemoteUp(int Attempt);

    private sealed record RemoteFailed(int Attempt, Exception Cause);

    /// <summary>Also told by the client disposed at the actor's stop: not worth a dead letter line.</summary>
    private sealed record RemoteDown(string Reason) : IDeadLetterSuppression;

    /// <param name="Delivered">The remote took it (reason code below 0x80).</param>
    /// <remarks>May come after the actor stopped, from a publish under way then: not worth a dead letter line.</remarks>
    private sealed record RemotePublished(ushort PacketId, QualityOfService QoS, bool Delivered, string Reason) : IDeadLetterSuppression
    {
        /// <summary>No answer came: the connection was lost first.</summary>
        public bool Lost { get; init; }
    }

    private sealed record AckSent : IDeadLetterSuppression
    {
        public static readonly AckSent Instance = new();
    }

    private sealed record AckFailed(string Reason) : IDeadLetterSuppression;

    private sealed record Restart
    {
        public static readonly Restart Instance = new();
    }

    private sealed record AckTimeoutCheck
    {
        public static readonly AckTimeoutCheck Instance = new();
    }
}
