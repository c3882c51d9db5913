using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Packets;

/// <summary>SUBSCRIBE: one or more topic filters, each validated by the decoder.</summary>
public sealed record SubscribePacket : MqttPacket
{
    public override PacketType Type => PacketType.Subscribe;

    public ushort PacketId { get; init; }

    public IReadOnlyList<MqttSubscription> Subscriptions { get; init; } = [];

    public MqttProperties? Properties { get; init; }
}
