using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Broker.Sessions;

/// <summary>The whole state of a session at one journal position, so that recovery starts there instead of at the first event.</summary>
public sealed record SessionSnapshot(
    uint ExpiryInterval,
    MqttWill? Will,
    IReadOnlyList<Subscription> Subscriptions,
    IReadOnlyList<QueuedMessage> Queue,
    IReadOnlyList<InflightSnapshot> Inflight,
    IReadOnlyList<InboundQos2Snapshot> InboundQos2,
    ushort LastPacketId,
    DateTimeOffset? DetachedAt) : IJournaled
{
    /// <summary>Keys of the last inbound QoS 2 messages the client finished, oldest first (absent before they were kept).</summary>
    public IReadOnlyList<long> FinishedKeys { get; init; } = [];
}

/// <summary>A message sent to the client and not yet done, in the order it was sent.</summary>
public sealed record InflightSnapshot(ushort PacketId, QueuedMessage Message, bool Released);

/// <summary>An inbound QoS 2 packet id held until PUBREL, with the <see cref="ContentDigest"/> of its message.</summary>
public sealed record InboundQos2Snapshot(ushort PacketId, long MessageKey, bool Routed, ulong Digest);
