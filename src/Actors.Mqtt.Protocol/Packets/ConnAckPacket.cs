using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Packets;

/// <summary>
/// CONNACK. The reason code is an MQTT 5.0 one; on 3.1 and 3.1.1 it is written as the nearest return code
/// (0x84 → 1, 0x85 → 2, 0x88 → 3, 0x86 → 4, 0x87 → 5, anything else that failed → 3 Server unavailable).
/// </summary>
public sealed record ConnAckPacket : MqttPacket
{
    public override PacketType Type => PacketType.ConnAck;

    /// <summary>Whether the server resumed a stored session; always false on 3.1, which has no such flag.</summary>
    public bool SessionPresent { get; init; }

    public ReasonCode ReasonCode { get; init; } = ReasonCode.Success;

    public MqttProperties? Properties { get; init; }
}
