using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Packets;

/// <summary>UNSUBSCRIBE: one or more topic filters to remove.</summary>
public sealed record UnsubscribePacket : MqttPacket
{
    public override PacketType Type => PacketType.Unsubscribe;

    public ushort PacketId { get; init; }

    public IReadOnlyList<string> TopicFilters { get; init; } = [];

    public MqttProperties? Properties { get; init; }
}
