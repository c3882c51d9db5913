namespace Actors.Mqtt.Protocol.Packets;

/// <summary>PINGREQ: keep-alive from the client. Has no fields, so one instance serves every use.</summary>
public sealed record PingReqPacket : MqttPacket
{
    public static readonly PingReqPacket Instance = new();

    private PingReqPacket()
    {
    }

    public override PacketType Type => PacketType.PingReq;
}

/// <summary>PINGRESP: the server's answer to PINGREQ.</summary>
public sealed record PingRespPacket : MqttPacket
{
    public static readonly PingRespPacket Instance = new();

    private PingRespPacket()
    {
    }

    public override PacketType Type => PacketType.PingResp;
}
