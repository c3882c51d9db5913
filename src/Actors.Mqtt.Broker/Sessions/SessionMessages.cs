using Actors.Mqtt.Broker.Clustering;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Sessions;

/// <summary>A message for the session of one client id, as the shard region routes it.</summary>
public sealed record SessionEnvelope(string ClientId, object Message) : IWireMessage;

/// <summary>A connection that completed CONNECT takes the session of its client id.</summary>
/// <param name="SessionExpiryInterval">Seconds the session outlives the connection (0: ends with it; uint.MaxValue: never expires).</param>
/// <param name="ClientReceiveMaximum">How many QoS 1 and 2 messages the client accepts unacknowledged.</param>
public sealed record AttachSession(
    string ClientId,
    IActorRef Connection,
    MqttProtocolVersion Version,
    bool CleanStart,
    uint SessionExpiryInterval,
    MqttWill? Will,
    ushort ClientReceiveMaximum) : IWireMessage;

public sealed record SessionAttached(IActorRef Session, bool SessionPresent) : IWireMessage;

/// <summary>The connection of this session ended.</summary>
/// <param name="PublishWill">False after a DISCONNECT with reason 0x00, which discards the will.</param>
/// <param name="SessionExpiryInterval">A new expiry from an MQTT 5 DISCONNECT, or null to keep the one from CONNECT.</param>
public sealed record DetachSession(IActorRef Connection, bool PublishWill, uint? SessionExpiryInterval) : IWireMessage;

/// <summary>Told to a connection whose session another connection with the same client id took.</summary>
public sealed record SessionTakenOver : IWireMessage
{
    public static readonly SessionTakenOver Instance = new();

    private SessionTakenOver()
    {
    }
}

/// <param name="Denied">By position, the filters the ACL refuses (answered 0x87, or 0x80 before 5.0); null when none.</param>
public sealed record SubscribeRequest(SubscribePacket Packet, IReadOnlyList<bool>? Denied = null) : IWireMessage;

public sealed record UnsubscribeRequest(UnsubscribePacket Packet) : IWireMessage;

/// <summary>The client acknowledged outbound QoS 1 messages (PUBACK) or finished QoS 2 ones (PUBCOMP): those of one
/// read from the socket together, so that the session journals them as one event. Kept apart, since each must fit the
/// flow of the message it names.</summary>
public sealed record OutboundAcknowledged(IReadOnlyList<ushort> PubAcks, IReadOnlyList<ushort> PubComps) : IWireMessage;

/// <summary>The connection dropped an outbound QoS 1 or 2 message instead of sending it (larger than the client
/// accepts, or a topic it may not read): the session goes on as if the client had finished it [MQTT-3.1.2-25].</summary>
public sealed record OutboundDiscarded(ushort PacketId) : IWireMessage;

/// <summary>Told to the connection whose client broke the protocol in a way only the session sees (an acknowledgement
/// that does not fit the flow of the message it names): it closes with the error's reason code.</summary>
public sealed record ProtocolViolation(MqttError Error) : IWireMessage;

/// <summary>The client answered an outbound QoS 2 message with PUBREC.</summary>
public sealed record OutboundReceived(ushort PacketId, ReasonCode ReasonCode) : IWireMessage;

/// <summary>An inbound QoS 2 PUBLISH: the session routes it unless it holds that packet id already.</summary>
public sealed record InboundQos2(PublishPacket Packet, long ReceivedAt) : IWireMessage;

/// <summary>An inbound PUBREL: the session forgets the packet id.</summary>
public sealed record InboundRelease(ushort PacketId) : IWireMessage;

/// <summary>A packet the session wants written to its client, in order.</summary>
public sealed record SendToClient(MqttPacket Packet) : IWireMessage
{
    /// <summary>A publisher waits for the connection's answer to this copy of its message.</summary>
    public PaceMark? Pace { get; init; }
}

/// <summary>Answers an inbound QoS 2 PUBLISH: PUBREC with this code may go (in order) once every write it needed is done.</summary>
/// <param name="Durable">Whether the route waited for a durable write (the PUBREC's latency is then measured).</param>
public sealed record InboundQos2Done(ushort PacketId, ReasonCode ReasonCode, bool Durable) : IWireMessage;

/// <summary>Starts a journaled session: to find out whether its journal can be read, or because its will or expiry is due
/// (the session's deadline in the session index passed). Answered with <see cref="SessionAwake"/> once it recovered,
/// or with <see cref="SessionUnreadable"/>.</summary>
/// <param name="DetachedSince">When the session lost its connection, as the session index says, for a session whose
/// journal does not know (its connection was lost with its node); null to count from the moment it recovers.</param>
public sealed record WakeUp(DateTimeOffset? DetachedSince = null) : IWireMessage
{
    public static readonly WakeUp Instance = new();
}

public sealed record SessionAwake : IWireMessage
{
    public static readonly SessionAwake Instance = new();

    private SessionAwake()
    {
    }
}

/// <summary>The session's journal could not be read, so the session stays stopped: the answer to a
/// <see cref="WakeUp"/>, and what a connection that asked to attach is told instead of <see cref="SessionAttached"/>.</summary>
public sealed record SessionUnreadable : IWireMessage
{
    public static readonly SessionUnreadable Instance = new();

    private SessionUnreadable()
    {
    }
}

/// <summary>The session could not write its journal and stops (Akka's rule after a failed write): what its client sends
/// from now on could not be kept, so its connection closes (MQTT 5: DISCONNECT 0x80) rather than living on unheard. The
/// session recovers from its journal when the next message for it arrives.</summary>
public sealed record SessionWriteFailed : IWireMessage
{
    public static readonly SessionWriteFailed Instance = new();

    private SessionWriteFailed()
    {
    }
}
