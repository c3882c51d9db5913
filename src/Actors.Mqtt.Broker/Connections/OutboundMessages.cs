using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Event;

namespace Actors.Mqtt.Broker.Connections;

/// <summary>
/// The connection's stage is running: the actor sends it <see cref="InboundAck"/>, the outbound messages and
/// <see cref="ConnectionEnded"/> through <paramref name="Send"/>, an async callback into the stage. A callback rather
/// than a stage actor, which would be one more actor, with its death watch, for every connection. The actor answers
/// with the first <see cref="InboundAck"/>.
/// </summary>
public sealed record StreamReady(Action<object> Send);

/// <summary>The connection actor stopped: its stage stops reading and writing.</summary>
public sealed record ConnectionEnded
{
    public static readonly ConnectionEnded Instance = new();

    private ConnectionEnded()
    {
    }
}

/// <summary>The protocol version to encode with, known once CONNECT has been read; sent before any packet.</summary>
public sealed record OutboundVersion(MqttProtocolVersion Version);

/// <summary>One packet for the socket.</summary>
public sealed record OutboundPacket(MqttPacket Packet);

/// <summary>Packets for the socket, in order, collected while the socket was still busy with earlier ones.</summary>
public sealed record OutboundPackets(IReadOnlyList<MqttPacket> Packets);

/// <summary>The connection's stage has handed this many packets to the socket; the connection actor's count of queued packets drops by it.</summary>
public sealed record OutboundWritten(int Count) : IDeadLetterSuppression;

/// <summary>
/// The socket has not taken the last chunk yet and packets wait behind it: the client reads slower than the broker
/// writes. The next <see cref="OutboundWritten"/> means it took it.
/// </summary>
public sealed record OutboundBlocked : IDeadLetterSuppression
{
    public static readonly OutboundBlocked Instance = new();

    private OutboundBlocked()
    {
    }
}

/// <summary>Write what is queued, then end the connection's output (which closes the socket).</summary>
public sealed record OutboundComplete
{
    public static readonly OutboundComplete Instance = new();

    private OutboundComplete()
    {
    }
}

/// <summary>
/// Sent to every connection actor when a member was removed from the cluster: one still waiting for its session sends
/// its AttachSession again, since the first may have gone to the member that died and been lost there.
/// </summary>
public sealed record AttachAgain
{
    public static readonly AttachAgain Instance = new();

    private AttachAgain()
    {
    }
}

/// <summary>Sent to every connection actor when the server stops: every connection closes, MQTT 5 ones with 0x8B.</summary>
public sealed record ServerShuttingDown
{
    public static readonly ServerShuttingDown Instance = new();

    private ServerShuttingDown()
    {
    }
}
