using System.IO.Hashing;
using System.Runtime.InteropServices;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Broker.Sessions;

/// <summary>
/// A 64-bit hash of an inbound QoS 2 message's topic and payload, journaled with its packet id. A PUBLISH under an id
/// still held is a retry only when its digest matches; otherwise the client gave the old message up and reused the id
/// (MQTTnet numbers from 1 again on every connection), and it is a new message, as Mosquitto treats it.
/// </summary>
public static class ContentDigest
{
    /// <summary>What entries journaled before digests existed hold: it matches every message.</summary>
    public const ulong Unknown = 0;

    public static ulong Of(PublishPacket packet)
    {
        // The topic's UTF-16 code units are hashed as they lie in memory: little-endian on every platform .NET runs
        // the broker on, so every node of a cluster computes the same digest.
        var topic = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(packet.Topic.AsSpan()));
        var digest = XxHash3.HashToUInt64(packet.Payload.Span, unchecked((long)topic));
        return digest == Unknown ? 1 : digest;
    }

    public static bool Same(ulong held, ulong arrived) => held == Unknown || arrived == Unknown || held == arrived;
}
