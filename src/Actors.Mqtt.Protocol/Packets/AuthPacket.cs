using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Packets;

/// <summary>AUTH (MQTT 5.0 only): a step of extended authentication or re-authentication.</summary>
public sealed record AuthPacket : MqttPacket
{
    public override PacketType Type => PacketType.Auth;

    public ReasonCode ReasonCode { get; init; } = ReasonCode.Success;

    public MqttProperties? Properties { get; init; }
}
