using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>DISCONNECT and AUTH: empty before 5.0; in 5.0 only the reason code tail.</summary>
internal static class ReasonOnlyCodec
{
    public static bool TryDecode(ref MqttSpanReader r, PacketType type, MqttProtocolVersion version, out MqttPacket? packet)
    {
        packet = null;
        if (!ReasonCodeTail.TryRead(ref r, type, ScopeOf(type), version, out var reason, out var properties))
        {
            return false;
        }

        packet = type == PacketType.Disconnect
            ? new DisconnectPacket { ReasonCode = reason, Properties = properties }
            : new AuthPacket { ReasonCode = reason, Properties = properties };
        return true;
    }

    public static int GetBodySize(PacketType type, ReasonCode reason, MqttProperties? properties, MqttProtocolVersion version)
    {
        if (version != MqttProtocolVersion.V500)
        {
            return type == PacketType.Auth
                ? throw new ArgumentException("AUTH exists only in MQTT 5.0", nameof(version))
                : 0;
        }

        return ReasonCodeTail.GetSize(type, reason, properties, ScopeOf(type));
    }

    public static void Write(ref MqttSpanWriter w, PacketType type, ReasonCode reason, MqttProperties? properties, int bodySize) =>
        ReasonCodeTail.Write(ref w, reason, properties, ScopeOf(type), bodySize);

    private static PropertyScope ScopeOf(PacketType type) =>
        type == PacketType.Disconnect ? PropertyScope.Disconnect : PropertyScope.Auth;
}
