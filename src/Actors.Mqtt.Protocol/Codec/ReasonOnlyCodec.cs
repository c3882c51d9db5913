using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>
/// DISCONNECT and AUTH: empty before 5.0; in 5.0 a reason code and properties, where a remaining length of 0
/// means Success (Normal disconnection) without properties.
/// </summary>
internal static class ReasonOnlyCodec
{
    public static bool TryDecode(ref MqttSpanReader r, PacketType type, MqttProtocolVersion version, out MqttPacket? packet)
    {
        packet = null;
        var reason = ReasonCode.Success;
        MqttProperties? properties = null;
        if (version == MqttProtocolVersion.V500 && !r.End)
        {
            if (!r.TryReadByte(out var code))
            {
                return false;
            }

            reason = (ReasonCode)code;
            if (!ReasonCodes.IsValidFor(type, reason))
            {
                return r.Fail(ReasonCode.ProtocolError, $"0x{code:X2} is not a {type} reason code", ReasonCodes.SpecIdFor(type));
            }

            if (!r.End && !PropertyCodec.TryRead(ref r, ScopeOf(type), out properties))
            {
                return false;
            }
        }

        if (!r.End)
        {
            return r.Fail(ReasonCode.MalformedPacket, $"{type} is longer than its content");
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

        if (!ReasonCodes.IsValidFor(type, reason))
        {
            throw new ArgumentException($"{reason} is not a {type} reason code", nameof(reason));
        }

        var propertiesSize = PropertyCodec.GetBlockSize(properties, ScopeOf(type));
        return propertiesSize > 1 ? 1 + propertiesSize : reason == ReasonCode.Success ? 0 : 1;
    }

    public static void Write(ref MqttSpanWriter w, PacketType type, ReasonCode reason, MqttProperties? properties, int bodySize)
    {
        if (bodySize > 0)
        {
            w.WriteByte((byte)reason);
        }

        if (bodySize > 1)
        {
            PropertyCodec.WriteBlock(ref w, properties, ScopeOf(type));
        }
    }

    private static PropertyScope ScopeOf(PacketType type) =>
        type == PacketType.Disconnect ? PropertyScope.Disconnect : PropertyScope.Auth;
}
