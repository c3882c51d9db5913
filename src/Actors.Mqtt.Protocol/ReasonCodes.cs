namespace Actors.Mqtt.Protocol;

/// <summary>Which reason codes each MQTT 5.0 packet may carry (section 2.4 and each packet's reason code table).</summary>
public static class ReasonCodes
{
    private static readonly HashSet<byte> ConnAck = [0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F];
    private static readonly HashSet<byte> PubAckPubRec = [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
    private static readonly HashSet<byte> PubRelPubComp = [0x00, 0x92];
    private static readonly HashSet<byte> SubAck = [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2];
    private static readonly HashSet<byte> UnsubAck = [0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91];
    private static readonly HashSet<byte> Disconnect = [0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2];
    private static readonly HashSet<byte> Auth = [0x00, 0x18, 0x19];

    public static bool IsValidFor(PacketType type, ReasonCode code)
    {
        var set = type switch
        {
            PacketType.ConnAck => ConnAck,
            PacketType.PubAck or PacketType.PubRec => PubAckPubRec,
            PacketType.PubRel or PacketType.PubComp => PubRelPubComp,
            PacketType.SubAck => SubAck,
            PacketType.UnsubAck => UnsubAck,
            PacketType.Disconnect => Disconnect,
            PacketType.Auth => Auth,
            _ => null,
        };
        return set is not null && set.Contains((byte)code);
    }

    /// <summary>The normative statement that binds a sender of <paramref name="type"/> to its reason code table.</summary>
    public static string? SpecIdFor(PacketType type) => type switch
    {
        PacketType.ConnAck => "MQTT-3.2.2-8",
        PacketType.PubAck => "MQTT-3.4.2-1",
        PacketType.PubRec => "MQTT-3.5.2-1",
        PacketType.PubRel => "MQTT-3.6.2-1",
        PacketType.PubComp => "MQTT-3.7.2-1",
        PacketType.SubAck => "MQTT-3.9.3-2",
        PacketType.UnsubAck => "MQTT-3.11.3-2",
        PacketType.Disconnect => "MQTT-3.14.2-1",
        PacketType.Auth => "MQTT-3.15.2-1",
        _ => null,
    };

    /// <summary>True for 0x80 and above: the operation failed.</summary>
    public static bool IsFailure(ReasonCode code) => (byte)code >= 0x80;
}
