using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Packets;

/// <summary>DISCONNECT: from the client, or in MQTT 5.0 also from the server, with a reason code.</summary>
public sealed record DisconnectPacket : MqttPacket
{
    public override PacketType Type => PacketType.Disconnect;

    public ReasonCode ReasonCode { get; init; } = ReasonCode.NormalDisconnection;

    public MqttProperties? Properties { get; init; }
}
