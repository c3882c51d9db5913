using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Connections;

/// <summary>The connection's stage tells its actor where to send packets.</summary>
public sealed record OutboundReady(IActorRef Outbound);

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

/// <summary>Sent to every connection actor when the server stops: every connection closes, MQTT 5 ones with 0x8B.</summary>
public sealed record ServerShuttingDown
{
    public static readonly ServerShuttingDown Instance = new();

    private ServerShuttingDown()
    {
    }
}
